"""Every screen at 80x24 as a 16-colour terminal shows it (xterm -ti vt340, tmux with TERM=screen):
the app decides its colour system from the environment as it would there, and the SVG holds the
16 standard colours each segment is sent (`tests/snapshots/depth.py`). Sessions stay apart in them:
compare's and home's session marks each take a colour of their own."""

from pathlib import Path

import pytest
from rich.color import ColorType

from aetui.ui.messages import Compare, OpenSession
from aetui.views.figures import SESSION_MARKS
from tests.snapshots.depth import SIXTEEN_COLOURS, Terminal
from tests.snapshots.test_snapshots import loaded, trained
from tests.support import synthetic_session, until
from tests.ui.scripted import ScriptedTrainer


@pytest.fixture
def sixteen_colours(monkeypatch):
    """The environment of a 16-colour terminal, as the app reads it when it is made."""
    for name in ("COLORTERM", "TEXTUAL_COLOR_SYSTEM", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in SIXTEEN_COLOURS.items():
        monkeypatch.setenv(name, value)


def terminal_of(app) -> Terminal:
    terminal = Terminal(app)
    assert app.console.color_system == "standard"  # (as the driver will write: 16 colours)
    return terminal


def distinct_standard_colours(terminal: Terminal, marks: str) -> list[int]:
    """The one standard colour each of `marks` is drawn in (every cell of a mark in one colour)."""
    found = []
    for mark in marks:
        colours = {(c.type, c.number) for c in terminal.colours_of(mark)}
        assert len(colours) == 1, (mark, colours)
        kind, number = colours.pop()
        assert kind == ColorType.STANDARD
        found.append(number)
    return found


def three_sessions() -> list[str]:
    """Three sessions whose curves lie apart (each symbol shows on its own curve)."""
    return [str(synthetic_session(Path("sessions"), name, epochs=epochs, error=error, loss=loss))
            for name, epochs, error, loss in (("run-a", 4, 0.05, 1.0), ("run-b", 3, 0.08, 1.6), ("run-c", 4, 0.03, 0.6))]


def comparing(paths: list[str]):
    """A snapshot's `run_before` that opens compare of `paths` and waits for it to settle."""
    async def run_before(pilot):
        pilot.app.post_message(Compare(paths))
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "CompareScreen")
        await pilot.pause()

    return run_before


def test_compare_three_sessions_in_16_colours(snap_compare, make_app, sixteen_colours):
    """The three sessions in three standard colours, each with its own symbol."""
    paths = three_sessions()

    run_before = comparing(paths)
    app = make_app()
    terminal = terminal_of(app)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    colours = distinct_standard_colours(terminal, SESSION_MARKS[:3])
    assert len(set(colours)) == 3, colours


def test_home_with_marked_sessions_in_16_colours(snap_compare, make_app, sixteen_colours):
    """Two sessions marked for comparison: each mark in its own standard colour (compare's)."""
    three_sessions()

    async def run_before(pilot):
        await loaded(pilot)
        table = pilot.app.screen.query_one("#sessions")
        await until(pilot, lambda: table.row_count == 3)
        table.focus()
        await pilot.press("m", "down", "m", "down")
        await pilot.pause()

    app = make_app()
    terminal = terminal_of(app)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    colours = distinct_standard_colours(terminal, SESSION_MARKS[:2])
    assert len(set(colours)) == 2, colours


@pytest.mark.parametrize("recipe", ["sparse-kl", "vae-2d"])
def test_train_after_three_epochs_in_16_colours(snap_compare, make_app, sixteen_colours, recipe):
    async def run_before(pilot):
        await trained(pilot, recipe)
        await pilot.pause()

    app = make_app(ScriptedTrainer())
    terminal = terminal_of(app)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    assert {c.type for line in terminal.segments for _, s, _ in line if s is not None
            for c in (s.color, s.bgcolor) if c is not None} <= {ColorType.STANDARD, ColorType.DEFAULT}


@pytest.mark.parametrize("tab, view", [("1", None), ("2", "recon"), ("5", "area")])
def test_replay_in_16_colours(snap_compare, make_app, sixteen_colours, tab, view):
    path = synthetic_session(Path("sessions"))

    async def run_before(pilot):
        pilot.app.post_message(OpenSession(path))
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "ReplayScreen")
        await pilot.press("left", tab)
        if view:  # a picture view: made once the pane has its size
            await until(pilot, lambda: pilot.app.screen.query_one(f"#view-{view}").figure is not None)
        await pilot.pause()

    app = make_app()
    terminal_of(app)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_compare_three_sessions_without_colour(snap_compare, make_app, sixteen_colours, monkeypatch):
    """With `NO_COLOR` (Textual then draws in gray), the three sessions are told apart by their
    symbols: each on the first line and in the legend, beside its name."""
    monkeypatch.setenv("NO_COLOR", "1")
    paths = three_sessions()

    run_before = comparing(paths)
    app = make_app()
    terminal = terminal_of(app)
    assert app.no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    text = ["".join(t for t, _, _ in line) for line in terminal.segments]
    for mark, name in zip(SESSION_MARKS, ("a", "b", "c")):  # (their names without the common start)
        assert f"{mark} {name}" in text[0] and any(f"{mark} {name}" in line for line in text[-3:]), text
    assert {c.number for line in terminal.segments for _, s, _ in line if s is not None
            for c in (s.color, s.bgcolor) if c is not None and c.number is not None} <= {0, 7, 8, 15}
