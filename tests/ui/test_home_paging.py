"""Home holds a page of session rows at first and adds the next as the cursor or the scroll nears
the end: a store of hundreds (or 20,000) sessions opens with one page of rows, in the order the
whole list has, and every session can still be reached."""

from __future__ import annotations

import os
from pathlib import Path

from textual.widgets import DataTable

from aetui.core import ranking
from aetui.core.store import sessions
from aetui.ui.screens import session_rows
from tests.support import synthetic_session, until

PAGE = session_rows.PAGE
COUNT = 2 * PAGE + 50


def big_store(store: Path) -> list[Path]:
    """`COUNT` sessions: one written by the writer, the others folders of hard links to its files."""
    seed = synthetic_session(store, "run-0000", kind="ae", code=32)
    files = [p.relative_to(seed) for p in seed.rglob("*") if p.is_file()]
    made = [seed]
    for i in range(1, COUNT):
        copy = store / f"run-{i:04d}"
        for name in files:
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            os.link(seed / name, copy / name)
        made.append(copy)
    return made


def keys(table: DataTable) -> list[str]:
    return [row.key.value for row in table.ordered_rows]


async def test_home_pages_its_sessions_in_as_the_cursor_goes_down(make_app):
    big_store(Path("sessions"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        home = app.screen
        table = home.query_one("#sessions", DataTable)
        await until(pilot, lambda: table.row_count > 0)
        assert table.row_count == PAGE
        listing = sessions.list_store(Path("sessions"))
        assert len(listing.sessions) == COUNT and not listing.damaged  # (the summaries, hard-linked, are trusted)
        assert home.order == "newest"
        whole = [str(home.listing.store / item[2].name)
                 for item, _ in session_rows.ordered(listing.entries, [], home.order, ranking.DEFAULT)]
        assert keys(table) == whole[:PAGE]
        table.focus()
        await pilot.press("end")  # the last row held: the next page comes in
        await until(pilot, lambda: table.row_count > PAGE)
        for _ in range(COUNT // PAGE + 1):
            await pilot.press("end")
            await pilot.pause(0.1)
        assert table.row_count == COUNT
        assert keys(table) == whole and len(set(keys(table))) == COUNT
        await pilot.press("end")
        await pilot.pause(0.2)
        assert table.row_count == COUNT and table.cursor_row == COUNT - 1


async def test_home_pages_its_sessions_in_as_the_list_scrolls_and_keeps_them_on_reload(make_app):
    big_store(Path("sessions"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        home = app.screen
        table = home.query_one("#sessions", DataTable)
        await until(pilot, lambda: table.row_count == PAGE)
        table.scroll_end(animate=False)  # (the mouse wheel: the cursor stays where it was)
        await until(pilot, lambda: table.row_count > PAGE)
        assert table.cursor_row == 0
        table.focus()
        await pilot.press("down", "down", "m")  # a mark redraws the rows held, not just the first page
        await pilot.pause(0.2)
        assert table.row_count >= 2 * PAGE and table.cursor_row == 2
        assert str(table.get_row_at(2)[0]).startswith("● ")  # (the first marked: compare's first symbol)
        await pilot.press("r")  # reloaded from the store: as many rows as were held
        await pilot.pause(0.2)
        assert table.row_count >= 2 * PAGE and table.cursor_row == 2
