"""The companion listening page (results/site/): clips, models, rendering, and its browser check."""


class PageCheckError(RuntimeError):
    """The page failed a check in the browser (a source that does not load, a request leaving it)."""
