"""Compare's reconstructions at 80x24: each session shows five digits over their reconstructions at
14 pixels or more, whole on screen once scrolled to (one session a screen where two would not
leave it five), counted from what is drawn; larger, two sessions share a screen."""

from __future__ import annotations

from pathlib import Path

from aetui.ui.messages import Compare
from aetui.ui.widgets.figure_pane import FigurePane
from aetui.views.figures import SMALLEST
from tests.support import mnist_sized, synthetic_session, until
from tests.ui.test_one_view import on_screen


def labels_drawn(app, pane: FigurePane) -> list[str]:
    """The digits' labels as the screen draws them on the picture's first row."""
    picture = pane.picture
    row = app.screen._compositor.render_strips()[picture.region.y].text
    return row[picture.region.x:picture.region.right].replace("▀", " ").split()


async def compared(pilot, app, count: int) -> list[FigurePane]:
    digits = mnist_sized()  # (MNIST's 28 pixels: 20 once the empty frame is cropped)
    paths = [str(synthetic_session(Path("sessions"), f"run-{i}", epochs=2, dataset=digits)) for i in range(count)]
    app.post_message(Compare(paths))
    await until(pilot, lambda: type(app.screen).__name__ == "CompareScreen")
    await pilot.press("3")
    panes = list(app.screen.query(FigurePane))
    await until(pilot, lambda: all(p.figure is not None for p in panes))
    await pilot.pause()
    return panes


async def test_at_80x24_each_session_shows_five_digits_over_their_reconstructions(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panes = await compared(pilot, app, 3)
        for pane in panes:
            pane.scroll_visible(animate=False)
            await pilot.pause()
            assert on_screen(app, pane.picture), pane.id
            labels = labels_drawn(app, pane)
            assert labels == [str(d) for d in range(len(labels))] and len(labels) >= 5, labels
            height, width = pane.figure.image.shape[:2]  # (a label's row, then each digit over its reconstruction)
            assert height >= 2 + 2 * SMALLEST and width >= 5 * SMALLEST and pane.figure.shown[0] >= 5


async def test_at_160x48_two_sessions_share_the_screen(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        first, second = (await compared(pilot, app, 2))[:2]
        assert on_screen(app, first.picture) and on_screen(app, second.picture)
        assert len(labels_drawn(app, first)) >= 5 and len(labels_drawn(app, second)) >= 5
