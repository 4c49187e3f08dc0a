"""A pane that shows one `aetui show` view of a replay (`aetui.views.registry`), fitted to its size
on every redraw."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from aetui.core.errors import AetuiError
from aetui.views.replay import Replay
from aetui.views.registry import NAMED, render_view


class ViewPane(Widget):
    """Renders `view` of `replay` at `epoch`; problems with the data show as a line of text."""

    DEFAULT_CSS = "ViewPane { height: auto; min-height: 1fr; }"

    def __init__(self, replay: Replay, view: str, ascii: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.replay = replay
        self.view = view
        self.ascii = ascii
        self.epoch = -1
        """The epoch drawn; -1 until first shown."""

    def show(self, epoch: int) -> None:
        """Move to `epoch`."""
        self.epoch = epoch
        self.refresh(layout=True)

    def render(self):
        if self.epoch < 0:
            return Text("")
        if not self.replay.epochs and not NAMED[self.view].epochless:
            return Text("No completed epoch in this session yet.", style="dim")
        try:
            return render_view(self.replay, self.view, self.epoch, max(self.size.width, 20),
                               max(self.size.height, 8), ascii=self.ascii)
        except AetuiError as err:
            return Text(str(err), style="yellow")
