"""Home's tables at 80 columns and larger: the date and status shortened on purpose, never cut; the
tables grow with the terminal."""

from __future__ import annotations

from pathlib import Path

from tests.support import fake_session, until


def drawn(widget) -> list[str]:
    return [strip.text for strip in widget.render_lines(widget.region.reset_offset)]


async def test_at_80_columns_dates_and_statuses_are_short_and_whole(make_app):
    store = Path("sessions")
    fake_session(store, "sparse-kl-night", "sparse-kl", 12, "interrupted", "2026-12-04T05:10:00")
    fake_session(store, "vae-2d-morning", "vae-2d", 30, "finished", "2026-12-03T09:30:00")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#sessions")
        await until(pilot, lambda: table.row_count == 2 and "12-04 05:10" in "".join(drawn(table)))
        lines = drawn(table)
        assert "date" in lines[0] and "status" in lines[0]
        text = "\n".join(lines)
        assert "12-04 05:10" in text and "12-03 09:30" in text and "2026-" not in text  # short on purpose
        assert "interr." in text and "done" in text
        for line in lines[1:3]:  # every cell whole: model and data as written
            assert ("sparse-kl" in line and "digits" in line) or ("vae-2d" in line and "digits" in line), line


async def test_at_120x40_the_tables_grow_every_recipe_shows_and_dates_are_whole(make_app):
    store = Path("sessions")
    fake_session(store, "sparse-kl-night", "sparse-kl", 12, "interrupted", "2026-12-04T05:10:00")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        recipes, table = app.screen.query_one("#recipes"), app.screen.query_one("#sessions")
        await until(pilot, lambda: table.row_count == 1 and recipes.row_count > 0)
        await pilot.pause()
        shown = "\n".join(drawn(recipes))
        names = [str(recipes.get_row_at(i)[0]) for i in range(recipes.row_count)]
        assert all(name in shown for name in names), (names, shown)
        assert "2026-12-04 05:10" in "\n".join(drawn(table)) and "interrupted" in "\n".join(drawn(table))
