"""A table of rows to pick from: Home and End go to the first and last row."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable


def shorten_middle(text: str, width: int) -> str:
    """`text` in at most `width` characters, shortened in the middle (`sparse-kl-m…1124-012330`):
    a session's distinguishing end (its date, its trial values) stays."""
    if len(text) <= width:
        return text
    if width < 5:
        return text[:width]
    head = (width - 1) // 3
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


class RowTable(DataTable):
    """A `DataTable` with a row cursor where Home and End jump to the first and last row."""

    BINDINGS = [Binding("home", "scroll_top", "first row", show=False),
                Binding("end", "scroll_bottom", "last row", show=False)]

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
