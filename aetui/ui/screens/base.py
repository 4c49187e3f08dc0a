"""What every workbench screen has: the shared `Workbench`, one error policy, and key help."""

from __future__ import annotations

from typing import Callable, TypeVar

from textual.screen import Screen

from aetui.core.errors import AetuiError
from aetui.ui.workbench import Workbench

T = TypeVar("T")


def attempt(notify: Callable, action: Callable[[], T], severity: str = "error") -> T | None:
    """`action()`, or None after saying through `notify` in one line why it could not be done: the
    workbench's one error policy (a user's mistake or a damaged file is a notification, never a
    crash), for its screens and its app alike."""
    try:
        return action()
    except AetuiError as err:
        notify(str(err), severity=severity, markup=False)
        return None


class WorkbenchScreen(Screen):
    """A screen of the workbench. A user's mistake or a damaged file met while it works is one
    notification (`attempt`), never a crash; its help is made from its bindings (and `HELP`)."""

    HELP: list[tuple[str, str]] = []
    """Keys that are not bindings of the screen (widgets' own), for the help."""
    HELP_TITLE = "keys"

    def __init__(self, workbench: Workbench):
        super().__init__()
        self.workbench = workbench

    def attempt(self, action: Callable[[], T], severity: str = "error") -> T | None:
        """`action()`, or None after saying in one line why it could not be done."""
        return attempt(self.notify, action, severity)

    def run_moved(self, event) -> None:
        """The live run moved on (`event`: what it did, folded into its state already; None: its
        worker ended). Screens that show it redraw what changed; the others have nothing to do."""

    def action_help(self) -> None:
        from aetui.ui.screens.dialogs import HelpDialog

        self.app.push_screen(HelpDialog(self.HELP_TITLE, self, self.HELP))
