"""The companion listening page (results/site/): clips, models, rendering, and its browser check."""

from ...errors import ElectoneRaveError


class ListeningPageError(ElectoneRaveError, RuntimeError):
    """The page cannot be made as asked, or fails a check in the browser."""
