"""Home: the recipes and the saved sessions, the dataset in use and the compute device."""

from __future__ import annotations

import contextlib
import os

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from aetui import paths
from aetui.core import recipe as recipes
from aetui.core import sessions, sweep
from aetui.core.errors import AetuiError

POLL_SECONDS = 2.0
"""How often the session list looks for changes made by other processes (sweeps, headless runs)."""
KEYS = [("enter", "open the recipe (train), the session (replay) or the sweep (compare)"), ("tab", "switch between the two lists"),
        ("u", "resume the session: train it on from its last epoch (a sweep: how to)"),
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
        self.seen: tuple = ()
        self.action_reload()
        self.show_info()
        self.set_interval(POLL_SECONDS, self.poll)

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
        """Reread the session list: sweeps as groups (a row with their progress, then their trials),
        and the other sessions, newest first."""
        table = self.query_one("#sessions", DataTable)
        cursor = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value if table.row_count else None
        table.clear()
        store = self.app.store
        self.seen = self.store_signature()  # before reading: a change made meanwhile is seen next time
        found = sessions.list_sessions(store)
        by_name = {s.name: s for s in found}
        groups = [(sw, [by_name[n] for n in sw.trials if n in by_name]) for sw in sweep.list_sweeps(store)]
        grouped = {t.name for _, trials in groups for t in trials}
        items = [(sw.created, sw, trials) for sw, trials in groups]
        items += [(str(s.meta.get("created", "")), s, None) for s in found if s.name not in grouped]
        for _, item, trials in sorted(items, key=lambda i: i[0], reverse=True):
            if trials is None:
                name, *rest = item.summary_row()
                table.add_row(("✓ " if str(item.path) in self.marked else "") + name, *rest, key=str(item.path))
                continue
            best = [t.best_val_loss for t in trials if t.best_val_loss is not None]
            data = trials[0].meta.get("dataset", {}).get("name", "?") if trials else "-"
            table.add_row(Text(f"▾ sweep {item.name}", style="bold"), item.recipe, data, f"{len(item.trials)} trials",
                          f"{min(best):.4g}" if best else "-", sweep.progress(item, trials),
                          item.created[:16].replace("T", " "), key=f"sweep:{item.name}")
            for t in trials:
                _, *rest = t.summary_row()
                label = "  " + " ".join(f"{k}={v:g}" for k, v in sweep.trial_values(t).items())
                table.add_row(("✓" if str(t.path) in self.marked else " ") + label, *rest, key=str(t.path))
        if not table.row_count:
            table.add_row("(none yet: train a recipe)", "", "", "", "", "", "", key="")
        if cursor:  # the cursor stays on its session, wherever new rows put it
            with contextlib.suppress(Exception):
                table.move_cursor(row=table.get_row_index(cursor))

    def store_signature(self) -> tuple:
        """What changes in the store when a session or sweep is made or moves on (cheap to read)."""
        store = self.app.store
        if not store.is_dir():
            return ()
        marks = []
        with os.scandir(store) as entries:
            for entry in entries:
                path = os.path.join(entry.path, sessions.META) if entry.is_dir() else entry.path
                try:
                    marks.append((entry.name, os.stat(path).st_mtime_ns))
                except OSError:
                    continue
        return tuple(sorted(marks))

    def on_screen_resume(self) -> None:
        self.poll()  # back from another screen: catch up with what changed meanwhile

    def poll(self) -> None:
        """Reload the list when the store changed: sessions of other processes (a sweep) appear
        and move on while this screen is open."""
        if self.is_current and self.store_signature() != self.seen:
            self.reload_sessions()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Show `t` only while a run is in progress."""
        return self.app.runner.active if action == "show_run" else True

    def action_show_run(self) -> None:
        self.app.action_show_run()

    def selected_row(self) -> str | None:
        """The key of the session list's row under the cursor: a session's folder, `sweep:NAME`, or None."""
        table = self.query_one("#sessions", DataTable)
        return (table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or None) if table.row_count \
            else None

    def selected_session(self) -> str | None:
        """The folder of the session under the cursor, if any (not a sweep's row)."""
        key = self.selected_row()
        return None if key is None or key.startswith("sweep:") else key

    def action_resume(self) -> None:
        row = self.selected_row()
        if row and row.startswith("sweep:"):  # its trials run as processes of their own, not in here
            self.notify(self.sweep_resume_hint(row.removeprefix("sweep:")), timeout=8)
            return
        key = self.selected_session()
        if key:
            self.app.resume_session(key)

    def sweep_resume_hint(self, name: str) -> str:
        """What `u` on a sweep's row says: how to take it up, or why there is nothing to take up."""
        store = self.app.store
        try:
            found = sweep.find(store, name)
        except AetuiError as err:
            return str(err)
        if found is None:
            return f"Sweep {name} is gone from {store}."
        if sweep.running(store, name):
            return f"Sweep {name} is running (in its own `aetui sweep` process)."
        trials = sweep.trial_sessions(store, found)
        if len(trials) == len(found.trials) and all(sweep.done(t) for t in trials):
            return f"Every trial of sweep {name} is done: Enter compares them."
        return f"A sweep goes on from a shell: aetui sweep --resume {name}"

    def action_mark(self) -> None:
        """Mark the session under the cursor for comparison (or unmark it)."""
        key = self.selected_session()
        if not key:
            return
        self.marked.remove(key) if key in self.marked else self.marked.append(key)
        self.reload_sessions()

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
        elif key.startswith("sweep:"):
            self.app.compare_sweep(key.removeprefix("sweep:"))
        else:
            self.app.open_session(key)

    def action_help(self) -> None:
        from aetui.ui.screens.dialogs import HelpDialog

        self.app.push_screen(HelpDialog("Home: keys", KEYS))
