"""Where the train screen's views go: every view in one arrangement where the screen has the room
(`ROOMY`), else one view at a time taking the whole area, chosen by its key in the view registry
(`aetui.views.registry.LIVE`: `1` curves, `2` digits, ...). At any size a view can be maximised
(`m`) and the sliders' panel shown or hidden (`h`)."""

from __future__ import annotations

from textual.screen import Screen

from aetui.ui.widgets.digit_panel import DigitPanel, ScatterPane
from aetui.ui.widgets.figure_pane import FigurePane
from aetui.ui.widgets.param_slider import ParamSlider
from aetui.views.registry import LIVE, NAMED, View

ROOMY = (120, 34)
"""From this many columns and rows every view shows at once: the chart with the figures beside it and
the digits across the whole width under them. Below it (80x24, the SSH default) one view takes the
area: the chart keeps 12 plot rows and more, the digits show five and more over their reconstructions."""
PARAMS_WIDTH = {True: 40, False: 30}
"""Columns of the sliders' panel (from 140 columns, below)."""
CHART_ROWS = 18
"""Rows the chart's box keeps at least, in the arrangement of every view, before the digits take the
rest: 12 plot rows inside its frame, axes and border."""
FIGURES_WIDTH = (34, 46)
"""Columns of the figures beside the chart (without, with a 2-D scatter) in that arrangement."""
BOXES = {"curves": "#chart-box", "recon": "#preview", "sparsity": "#stats", "scatter": "#stats"}
"""The box each live view is drawn in (a 2-D code's scatter shares the figures' box, under them)."""


class TrainLayout:
    """Shows the train screen's views as its size and the user's keys ask: `choose` a view, `maximise`
    it, show or hide the sliders (`toggle_sliders`); `place` again on every resize."""

    def __init__(self, screen: Screen, two_d: bool, stats_title: str):
        self.screen = screen
        self.two_d = two_d
        self.stats_title = stats_title
        self.views: tuple[View, ...] = tuple(v for v in LIVE if v.name != "scatter" or two_d)
        """The views this recipe has (the scatter only for a 2-D code)."""
        self.view = "curves"
        """The view shown alone (below `ROOMY`, or maximised)."""
        self.maximised = False
        self.sliders = True
        """Whether the sliders' panel shows (unless a view is maximised)."""
        self.roomy = True
        """Whether the screen has room for every view at once."""

    @property
    def single(self) -> bool:
        """Whether one view takes the area."""
        return self.maximised or not self.roomy

    def shown(self, name: str) -> bool:
        """Whether view `name` is on screen."""
        return name == self.view if self.single else any(v.name == name for v in self.views)

    def choose(self, name: str) -> None:
        """Show view `name` alone; where every view fits, this maximises it (its key again restores)."""
        if self.roomy:
            self.maximised = not (self.maximised and name == self.view)
        self.view = name
        self.place()

    def maximise(self) -> None:
        """The view alone on the whole screen, sliders hidden; or back."""
        self.maximised = not self.maximised
        self.place()

    def toggle_sliders(self) -> None:
        """Show or hide the sliders' panel (shown, a maximised view is restored: the panel is part of it)."""
        self.sliders = not self.sliders or self.maximised
        self.maximised = False
        self.place()

    def place(self) -> None:
        """Arrange the views for the screen's size."""
        screen = self.screen
        width, height = screen.size.width, screen.size.height
        self.roomy = width >= ROOMY[0] and height >= ROOMY[1]
        params = screen.query_one("#params")
        params.styles.width = PARAMS_WIDTH[width >= 140]
        panel = self.sliders and not self.maximised
        if params.display != panel:
            params.display = panel
            focused = screen.focused
            if not panel and focused is not None and params in focused.ancestors:
                screen.set_focus(None)  # (a hidden slider would move unseen)
            elif panel and focused is None:
                screen.query(ParamSlider).first().focus()
        right_w = width - (PARAMS_WIDTH[width >= 140] if panel else 0)
        self.title()
        if self.single:
            self.place_one()
        else:
            self.place_all(right_w, height - 2)
        # (a picture pane hidden when its data came made nothing: it draws once it shows again)
        screen.call_after_refresh(lambda: [pane.redraw() for pane in screen.query(FigurePane)])

    def prepare(self, event) -> None:
        """In the training thread, between epochs (`Runner.prepare`): the epoch's pictures (`SnapshotTaken`),
        made ahead for the panes on screen (a hidden one makes its own once shown)."""
        screen, arrays = self.screen, event.arrays
        if screen.run.state is None:  # (the run in progress is another recipe's)
            return
        digits = screen.query_one(DigitPanel)
        if digits.on_screen():
            digits.prepare_digits(event.fixed, arrays["recon"], arrays.get("noisy"), arrays)
        if self.two_d and (scatter := screen.query_one(ScatterPane)).on_screen():
            scatter.prepare_codes(arrays["codes"], event.fixed["subset_labels"], arrays)

    def title(self) -> None:
        """Title each box with its view's key and name (the figures' box with the scatter's too
        where they share it)."""
        screen = self.screen

        def titled(name: str, title: str = "") -> str:
            return f"{NAMED[name].key} {title or NAMED[name].title}"

        screen.query_one("#chart-box").border_title = titled("curves", "loss")
        screen.query_one("#preview").border_title = titled("recon", "digits / reconstructions")
        figures, scatter = titled("sparsity", self.stats_title), titled("scatter", "codes by digit")
        screen.query_one("#stats").border_title = (scatter if self.view == "scatter" else figures) if self.single \
            else f"{figures} · {scatter}" if self.two_d else figures

    def place_one(self) -> None:
        """The chosen view takes the whole area right of the sliders (or all of it)."""
        screen, right = self.screen, self.screen.query_one("#right")
        right.styles.grid_size_columns, right.styles.grid_size_rows = 1, 1
        right.styles.grid_columns, right.styles.grid_rows = "1fr", "1fr"
        box = BOXES[self.view]
        for name in set(BOXES.values()):
            widget = screen.query_one(name)
            widget.display = name == box
            widget.styles.column_span = 1
        stats = screen.query_one("#stats")
        stats.set_class(False, "with-scatter")
        screen.query_one("#sparsity").display = self.view != "scatter"
        if self.two_d:
            screen.query_one("#scatter").display = self.view == "scatter"

    def place_all(self, right_w: int, right_h: int) -> None:
        """The chart with the figures beside it, the digits across the width under them, as many
        as fit in the rows the chart leaves."""
        screen, right = self.screen, self.screen.query_one("#right")
        for name in set(BOXES.values()):
            screen.query_one(name).display = True
        stats = screen.query_one("#stats")
        stats.set_class(self.two_d, "with-scatter")
        screen.query_one("#sparsity").display = True
        if self.two_d:
            screen.query_one("#scatter").display = True
        digits = screen.query_one(DigitPanel)
        room_h = right_h - CHART_ROWS - 2
        if digits.graphics.pixels:  # digits would grow into every row: the chart keeps half
            room_h = min(room_h, max(right_h // 2, 8))
        _, rows = digits.wanted(right_w - 2, room_h)
        rows = min(rows, room_h)  # the chart keeps its rows, even where no digit fits whole
        right.styles.grid_size_columns, right.styles.grid_size_rows = 2, 2
        right.styles.grid_rows = f"1fr {rows + 2}"
        right.styles.grid_columns = f"1fr {FIGURES_WIDTH[self.two_d]}"
        screen.query_one("#chart-box").styles.column_span = 1
        screen.query_one("#preview").styles.column_span = 2
        stats.styles.column_span = 1
