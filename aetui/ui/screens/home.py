"""Home: the recipes and the saved sessions, the dataset in use and the compute device."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from aetui import paths
from aetui.core import recipe as recipes
from aetui.core import sessions
from aetui.core.errors import AetuiError

KEYS = [("enter", "open the recipe (train) or the session (replay)"), ("tab", "switch between the two lists"),
        ("u", "resume the session: train it on from its last epoch"),
        ("m", "mark or unmark the session for comparison"), ("c", "compare the marked sessions"),
        ("t", "go to the run in progress"), ("r", "reload recipes and sessions"), ("ctrl+p", "command palette"),
        ("?", "this help"), ("q", "quit")]


class HomeScreen(Screen):
    """Lists recipes and sessions; Enter opens one."""

    BINDINGS = [
        Binding("t", "show_run", "run in progress"),
        Binding("u", "resume", "resume"),
        Binding("m", "mark", "mark"),
        Binding("c", "compare", "compare marked"),
        Binding("r", "reload", "reload"),
        Binding("question_mark,f1", "help", "help"),
        Binding("q", "app.quit_app", "quit"),
    ]

    def __init__(self):
        super().__init__()
        self.marked: list[str] = []
        """Session folders marked for comparison, in the order marked."""

    def compose(self) -> ComposeResult:
        yield Static(id="info")
        yield Static("Recipes: Enter trains", classes="caption")
        yield DataTable(id="recipes", cursor_type="row", zebra_stripes=True)
        yield Static("Sessions: Enter opens", classes="caption")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#recipes", DataTable).add_columns("recipe", "kind", "tunes", "description")
        self.query_one("#sessions", DataTable).add_columns(*sessions.SUMMARY_COLUMNS)
        self.action_reload()
        self.show_info()

    def show_info(self) -> None:
        """Redraw the line about data, device, store and the run in progress."""
        self.query_one("#info", Static).update(self.app.info_line())

    def action_reload(self) -> None:
        """Reread recipes and sessions from disk."""
        table = self.query_one("#recipes", DataTable)
        table.clear()
        for name, path in sorted(recipes.discover(paths.recipe_dirs()).items()):
            try:
                r = recipes.load_file(path)
                table.add_row(name, r.kind, " ".join(r.tunables).replace("learning_rate", "lr"), r.description,
                              key=str(path))
            except AetuiError as err:
                table.add_row(name, "broken", "", str(err), key=str(path))
        self.reload_sessions()

    def reload_sessions(self) -> None:
        """Reread the session list."""
        table = self.query_one("#sessions", DataTable)
        table.clear()
        for s in sessions.list_sessions(self.app.store):
            name, *rest = s.summary_row()
            table.add_row(("✓ " if str(s.path) in self.marked else "") + name, *rest, key=str(s.path))
        if not table.row_count:
            table.add_row("(none yet: train a recipe)", "", "", "", "", "", "", key="")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Show `t` only while a run is in progress."""
        return self.app.runner.active if action == "show_run" else True

    def action_show_run(self) -> None:
        self.app.action_show_run()

    def selected_session(self) -> str | None:
        """The folder of the session under the cursor, if any."""
        table = self.query_one("#sessions", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or None

    def action_resume(self) -> None:
        key = self.selected_session()
        if key:
            self.app.resume_session(key)

    def action_mark(self) -> None:
        """Mark the session under the cursor for comparison (or unmark it)."""
        table = self.query_one("#sessions", DataTable)
        key = self.selected_session()
        if not key:
            return
        self.marked.remove(key) if key in self.marked else self.marked.append(key)
        row = table.cursor_row
        self.reload_sessions()
        table.move_cursor(row=row)

    def action_compare(self) -> None:
        """Open the marked sessions side by side."""
        if len(self.marked) < 2:
            self.notify("Mark two or more sessions with m first.", severity="warning")
            return
        self.app.compare(list(self.marked))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if not key:
            return
        if event.data_table.id == "recipes":
            self.app.open_recipe(key)
        else:
            self.app.open_session(key)

    def action_help(self) -> None:
        from aetui.ui.screens.dialogs import HelpDialog

        self.app.push_screen(HelpDialog("Home: keys", KEYS))
