"""Home: the recipes and the saved sessions, the dataset in use and the compute device."""

from __future__ import annotations

import contextlib

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from aetui.core import ranking
from aetui.core import recipe as recipes
from aetui.core.errors import AetuiError
from aetui.core.store import listing, paths, sessions
from aetui.core.sweeps import sweep
from aetui.ui import messages
from aetui.ui.screens import session_rows
from aetui.ui.screens.base import WorkbenchScreen
from aetui.ui.widgets.row_table import RowTable, shorten_middle
from aetui.views import formats

POLL_SECONDS = 2.0
"""How often the session list looks for changes made by other processes (sweeps, headless runs)."""
PAGE = session_rows.PAGE


class HomeScreen(WorkbenchScreen):
    """Lists recipes and sessions; Enter opens one."""

    BINDINGS = [
        Binding("question_mark,f1", "help", "help", tooltip="this help"),
        Binding("q", "app.quit_app", "quit", tooltip="quit (asks first during a run)"),
        Binding("t", "show_run", "run in progress", tooltip="go to the run in progress"),
        Binding("u", "resume", "resume",
                tooltip="resume the session: train it on from its last epoch (on a sweep's row: how to)"),
        Binding("m", "mark", "mark", tooltip="mark or unmark the session for comparison"),
        Binding("c", "compare", "compare marked", tooltip="compare the marked sessions"),
        Binding("o", "order", "order by", tooltip="sessions: newest first, then best test MSE per pixel first, "
                                                  "then best BCE per pixel first"),
        Binding("r", "reload", "reload", tooltip="reload recipes and sessions"),
    ]
    HELP = [("enter", "open the recipe (train), the session (replay; one running elsewhere: attach to it, live) "
                      "or the sweep (compare)"),
            ("tab", "switch between the two lists"), ("home, end", "first or last row"),
            ("ctrl+p", "command palette")]
    """Keys that are not bindings of the screen, for the help."""

    HELP_TITLE = "Home: keys"

    def __init__(self, workbench):
        super().__init__(workbench)
        self.marked: list[str] = []
        """Session folders marked for comparison, in the order marked."""
        self.told_running: set[str] = set()
        """Sessions running elsewhere the user was told of."""
        self.order = "newest"
        """How the sessions are listed: `newest` first, or best first by a ranking figure (`mse`, `bce`)."""
        self.listing = None
        """The store's listing the list shows (`listing.Listing`): every session's entry, each read
        when its row is made."""
        self.listed_items: list = []
        """What the session list shows, in its order: (item, depth) of `ranking.family_tree`."""
        self.paged = 0
        """How many of `listed_items` have rows in the table so far (`page_in` adds more)."""
        self.fitted: tuple[int, int] | None = None
        """From the first page's rows: the shortening steps its columns took (`formats.fit_listing`)
        and the width a session's name is shortened to."""
        self.shown_before = False

    def compose(self) -> ComposeResult:
        yield Static(id="info")
        yield Static("Recipes: Enter trains", classes="caption")
        yield RowTable(id="recipes")
        yield Static(id="sessions-caption", classes="caption")
        yield RowTable(id="sessions")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#recipes", DataTable).add_columns("recipe", "kind", "tunes", "description")
        table = self.query_one("#sessions", DataTable)
        table.add_columns(*sessions.SUMMARY_COLUMNS)
        self.watch(table, "scroll_y", lambda: self.near_end(table.scroll_y + 2 * table.size.height >=
                                                            table.max_scroll_y), init=False)
        self.seen: tuple = ()
        self.action_reload()
        self.show_info()
        self.set_interval(POLL_SECONDS, self.poll)

    def refreshed(self, sessions_too: bool = True) -> None:
        """The app says something changed: the run, the data or device line, or the sessions."""
        if sessions_too:
            self.reload_sessions()
        self.show_info()
        self.refresh_bindings()

    def show_info(self) -> None:
        """Redraw the line about data, device, store and the run in progress."""
        self.query_one("#info", Static).update(self.workbench.info_line())

    def action_reload(self) -> None:
        """Reread recipes and sessions from disk."""
        table = self.query_one("#recipes", DataTable)
        table.clear()
        for name, path in sorted(recipes.discover(paths.recipe_dirs()).items()):
            try:
                r = recipes.load_file(path)
                table.add_row(Text(name), r.kind, " ".join(r.tunables).replace("learning_rate", "lr"),
                              Text(r.description), key=str(path))
            except AetuiError as err:
                table.add_row(Text(name), "broken", "", Text(str(err)), key=str(path))
        self.reload_sessions()

    def reload_sessions(self) -> None:
        """Reread the session list (`sessions.list_store`: the store's index, each session's summary
        where it changed since): sweeps as groups (a row with their progress, then their trials),
        and the other sessions, newest first (or best first by a ranking figure); then
        `show_sessions`, which reads the sessions of the rows it shows."""
        by = self.order if self.order in ranking.CHOICES else ranking.DEFAULT
        store = self.workbench.store
        self.listing = found = sessions.list_store(store, limit=0)  # (none read whole but the running)
        self.seen = found.signature  # (taken before reading: a change made meanwhile is seen next time)
        self.tell_running([found.session(e) for e in found.entries if e.status == "running"])
        self.listed_items = session_rows.ordered(found.entries, sweep.list_sweeps(store), self.order, by)
        self.show_sessions()

    def show_sessions(self) -> None:
        """Fill the session list from `listed_items`, as many rows as it held (a page at least): its
        columns fitted to the first page (`formats.fit_listing`: dates and statuses shortened
        deliberately at 80 columns, never cut), names shortened in the middle to fit."""
        table = self.query_one("#sessions", DataTable)
        cursor = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value if table.row_count else None
        by = self.order if self.order in ranking.CHOICES else ranking.DEFAULT
        held = table.row_count
        table.clear(columns=True)
        self.query_one("#sessions-caption", Static).update(
            "Sessions: Enter opens · " + ("newest first" if self.order == "newest" else
                                          f"best {ranking.LABELS[by]} first") + " (o: another order)")
        self.paged, self.fitted = 0, None
        self.page_in(max(PAGE, held))
        if not table.row_count:
            columns = sessions.summary_columns(by)
            if not table.columns:
                table.add_columns(*columns)
            table.add_row("(none yet: train a recipe)", *[""] * (len(columns) - 1), key="")
        if cursor:  # the cursor stays on its session, wherever new rows put it
            with contextlib.suppress(Exception):
                table.move_cursor(row=table.get_row_index(cursor))

    def near_end(self, near: bool) -> None:
        """Add the next page of rows where the cursor or the scroll is `near` the end of those held."""
        if near and self.paged < len(self.listed_items):
            self.page_in(self.query_one("#sessions", DataTable).row_count + PAGE)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "sessions":
            self.near_end(event.cursor_row >= event.data_table.row_count - PAGE // 4)

    def page_in(self, count: int) -> None:
        """Add rows of `listed_items` to the session list until it holds `count` (or all of them);
        the first page sets the columns (each as wide as its widest cell), the later ones are
        shortened as it was."""
        table = self.query_one("#sessions", DataTable)
        by = self.order if self.order in ranking.CHOICES else ranking.DEFAULT
        columns = sessions.summary_columns(by)
        rows: list[tuple[str, str, list, str]] = []  # (mark, name, other cells, key)
        while self.paged < len(self.listed_items) and table.row_count + len(rows) < count:
            rows += session_rows.rows(*self.listed_items[self.paged], by, self.marked, self.listing.session)
            self.paged += 1
        if not rows:
            return
        if self.fitted is None:
            headers, cells, steps = formats.fit_listing(list(columns[1:]), [r[2] for r in rows], table.size.width - 16)
            others = [max([len(h)] + [len(c[i]) for c in cells]) + 2 for i, h in enumerate(headers)]
            room = max(12, table.size.width - sum(others) - 4)
            table.add_column(columns[0], width=max([len(columns[0])] + [min(len(r[0] + r[1]), room) for r in rows]))
            for header, width in zip(headers, others):
                table.add_column(header, width=width - 2)
            self.fitted = steps, room
        else:
            _, cells, _ = formats.fit_listing(list(columns[1:]), [r[2] for r in rows], 0, steps=self.fitted[0])
        room = self.fitted[1]
        for (mark, name, _, key), rest in zip(rows, cells):
            cell = mark + shorten_middle(name, room - len(mark))
            first = Text(cell, style="bold" if key.startswith("sweep:") else
                         session_rows.mark_style(key, self.marked) if key in self.marked else "")
            table.add_row(first, *(Text(c, justify="right") if i in (1, 2) else Text(c) for i, c in enumerate(rest)),
                          key=key)

    def action_order(self) -> None:
        """List the sessions by the next order: newest, best test MSE per pixel, best BCE per pixel."""
        orders = ["newest", *ranking.CHOICES]
        self.order = orders[(orders.index(self.order) + 1) % len(orders)]
        self.notify("sessions: " + ("newest first" if self.order == "newest" else
                                    f"best {ranking.LABELS[self.order]} first"), timeout=3, markup=False)
        self.reload_sessions()

    def tell_running(self, found: list) -> None:
        """Say once which sessions other processes are training (a run kept in the background, a
        detached one) and how to attach."""
        own = self.workbench.runner.sessions_here()  # (None: this workbench's run starts, its session unnamed)
        new = [s.name for s in found if s.status == "running" and s.name not in self.told_running | (own or set())]
        if new and own is not None:  # (told at a later reload where its run is starting)
            self.set_timer(1.0, lambda: self._tell_running(new))

    def _tell_running(self, new: list[str]) -> None:
        own = self.workbench.runner.sessions_here()  # (as it stands a second later)
        new = [name for name in new if name not in self.told_running | (own or set())]
        if self.is_current and new and own is not None:  # (not while a screen opened at start is shown)
            self.told_running.update(new)
            self.notify(f"Running in the background: {', '.join(new[:3])}{' …' if len(new) > 3 else ''}. "
                        "Enter on its row attaches to it.", timeout=8, markup=False)

    def on_resize(self) -> None:
        self.show_sessions()

    def on_screen_resume(self) -> None:
        self.show_info()
        self.refresh_bindings()
        if self.shown_before:  # (the first time is the mount, which has just read the store)
            self.poll()  # back from another screen: catch up with what changed meanwhile
        self.shown_before = True

    def poll(self) -> None:
        """Reload the list when the store changed: sessions of other processes (a sweep) appear
        and move on while this screen is open."""
        if self.is_current and listing.signature(self.workbench.store, sessions.META) != self.seen:
            self.reload_sessions()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Show `t` only while a run is in progress."""
        return self.workbench.runner.active if action == "show_run" else True

    def action_show_run(self) -> None:
        self.post_message(messages.ShowRun())

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
            self.notify(session_rows.sweep_resume_hint(self.workbench.store, row.removeprefix("sweep:")), timeout=8,
                        markup=False)
            return
        key = self.selected_session()
        if key:
            self.post_message(messages.ResumeSession(key))

    def action_mark(self) -> None:
        """Mark the session under the cursor for comparison (or unmark it)."""
        key = self.selected_session()
        if not key:
            return
        self.marked.remove(key) if key in self.marked else self.marked.append(key)
        self.show_sessions()

    def action_compare(self) -> None:
        """Open the marked sessions side by side."""
        if len(self.marked) < 2:
            self.notify("Mark two or more sessions with m first.", severity="warning")
            return
        self.post_message(messages.Compare(list(self.marked)))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if not key:
            return
        if event.data_table.id == "recipes":
            self.post_message(messages.OpenRecipe(key))
        elif key.startswith("sweep:"):
            self.post_message(messages.CompareSweep(key.removeprefix("sweep:")))
        else:
            self.post_message(messages.OpenSession(key))
