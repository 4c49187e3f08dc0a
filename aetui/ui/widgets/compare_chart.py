"""Compare's chart: every session's validation and training loss on one axis, each session in its own
colour and symbol (`aetui.views.figures.session_look`), so that they differ in 16 colours and without
colour too."""

from __future__ import annotations

import math

from rich.text import Text
from textual_plotext import PlotextPlot

from aetui.ui.widgets.loss_chart import decade_ticks, round_ticks, scaled, spans_decades
from aetui.views.figures import session_look
from aetui.views.replay import Replay

MOST_MARKS = 200
"""Changes marked on the chart at most (one line each; a run changed at every batch would draw
thousands: the first ones show where the tuning began)."""
SYMBOLS = 8
"""Points of a validation curve drawn as its session's symbol at most (evenly spread)."""


def look_text(index: int, name: str) -> Text:
    """A session's name after its symbol, in its colour (legends, tables)."""
    (r, g, b), mark = session_look(index)
    return Text(f"{mark} {name}", style=f"rgb({r},{g},{b})")


class CompareChart(PlotextPlot):
    """The sessions' curves; `log_scale` None: log where the values span more than a decade."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.log_scale: bool | None = None
        self.drawn_log = False
        self.legend = Text()
        """Each session's symbol and name in its colour (shown by the screen around the chart)."""

    def show(self, replays: list[Replay], names: list[str]) -> None:
        """Validation (lines with the session's symbol on them) and training loss (plain lines) of every
        session, and a vertical line where each of its changes took effect (a branch and its parent:
        one curve up to the branch point, then two)."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        curves = [[(float(e.epoch), e.logs.get(key, math.nan)) for e in r.session.epochs]
                  for r in replays for key in ("val_loss", "loss")]
        log = self.log_scale if self.log_scale is not None else spans_decades([y for c in curves for _, y in c])
        plotted, xs = [], []
        for i, r in enumerate(replays):
            colour, mark = session_look(i)
            for curve in curves[2 * i:2 * i + 2]:  # (dots for training smothered the plot: thin lines both)
                px, py = scaled(curve, log)
                if px:
                    plt.plot(px, py, color=colour, marker="braille")
                    plotted += py
                    xs += px
            px, py = scaled(curves[2 * i], log)
            every = max(1, -(-len(px) // SYMBOLS))
            if px:  # (its symbol on its validation curve: told apart without colour)
                plt.scatter(px[::every], py[::every], color=colour, marker=mark)
            steps = next((e.steps_per_epoch for e in r.session.history if hasattr(e, "steps_per_epoch")), 0)
            marks = {round(c.step / steps, 2) for c in r.session.changes} if steps else set()
            for x in sorted(marks)[:MOST_MARKS]:  # (each change marked where it took effect)
                plt.vline(x, color=colour)
        if log:
            decade_ticks(plt, plotted)
        else:
            round_ticks(plt, plotted)
        round_ticks(plt, xs, "x")
        self.drawn_log = log
        plt.title("validation loss: the line with symbols · training: without" + (" · log y (l)" if log else ""))
        plt.xlabel("epoch")
        self.legend = Text("  ").join(look_text(i, name) for i, name in enumerate(names))
        self.refresh()
