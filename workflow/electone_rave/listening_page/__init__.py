"""The companion listening page (results/site/): clips, models, rendering, and its browser check."""


class ListeningPageError(RuntimeError):
    """The page cannot be made as asked, or fails a check in the browser."""
