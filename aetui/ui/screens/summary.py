"""A read-only summary of a saved session: settings, status, epochs, changes and any gaps."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from aetui.core.sessions import Session
from aetui.headless import format_logs


def summary(session: Session) -> Table:
    """The session's facts as a rich table."""
    meta = session.meta
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()
    data = meta.get("dataset", {})
    rows = [("session", session.name), ("status", f"{session.status} {meta.get('reason', '')}"),
            ("recipe", f"{meta.get('recipe', {}).get('name', '?')} ({meta.get('recipe', {}).get('kind', '?')})"),
            ("data", f"{data.get('name', '?')}: {data.get('train', '?')} train / {data.get('test', '?')} test"),
            ("epochs", f"{session.epochs_done}/{meta.get('epochs', '?')}, batch {meta.get('batch_size', '?')}"),
            ("params", ", ".join(f"{k}={v:g}" for k, v in meta.get("params", {}).items())),
            ("device", str(meta.get("device", "?"))), ("created", str(meta.get("created", "")))]
    for change in session.changes:
        rows.append(("change", f"{change.name} {change.old:g} -> {change.new:g} from batch {change.step}"))
    for epoch in session.epochs[-5:]:
        rows.append((f"epoch {epoch.epoch}", f"{format_logs(epoch.logs)}  val {format_logs(epoch.logs, 'val_')}"))
    for problem in session.problems:
        rows.append(("gap", Text(problem, style="yellow")))
    for key, value in rows:
        table.add_row(key, value)
    return table


class SessionSummaryScreen(Screen):
    """Shows one saved session's summary; Escape goes back."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "back")]

    def __init__(self, session: Session):
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(summary(self.session))
        yield Footer()
