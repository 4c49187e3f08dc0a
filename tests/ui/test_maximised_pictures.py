"""A picture view maximised (or the terminal made taller) is made again for the rows it has then:
in real pixels (Sixel) the sweep fills the taller view and stays inside it, with no scrollbar and
nothing left reaching the footer (where xterm's Sixel scrolls the whole terminal a row)."""

from pathlib import Path

from aetui.ui.messages import OpenSession
from aetui.ui.widgets.figure_pane import FigurePane
from aetui.views.terminal import Graphics
from tests.support import mnist_sized, synthetic_session, until
from tests.ui.test_one_view import on_screen


async def test_the_sweep_maximised_in_sixel_fills_its_view_without_a_scrollbar(make_app):  # (its store, its folder)
    from aetui.core import data
    from aetui.ui.app import AetuiApp

    path = synthetic_session(Path("sessions"), dataset=mnist_sized())
    app = AetuiApp(Path("sessions"), lambda: data.load("digits").limited(256), warm_up=False,
                   graphics=Graphics("sixel", "test", (7, 14)))
    async with app.run_test(size=(160, 48)) as pilot:
        app.post_message(OpenSession(path))
        await until(pilot, lambda: type(app.screen).__name__ == "ReplayScreen")
        await pilot.press("4")
        pane = app.screen.query_one("#view-sweep", FigurePane)
        view = pane.parent  # (the sweep fills its tab: the pane is the view's whole content)
        for maximised in (True, False):  # m, then m again
            rows = view.size.height
            await until(pilot, lambda: pane.figure is not None and pane.drawn == pane.space())
            await pilot.press("m")
            await until(pilot, lambda: view.size.height != rows)
            await until(pilot, lambda: pane.drawn == pane.space())
            await pilot.pause()
            assert (view.size.height > rows) == maximised
            assert not view.show_vertical_scrollbar and view.max_scroll_y == 0
            assert on_screen(app, pane.picture) and pane.picture.region.bottom <= view.region.bottom
