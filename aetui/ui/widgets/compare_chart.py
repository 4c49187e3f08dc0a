"""Compare's chart: every session's validation and training loss on one axis, each session in its own
colour and symbol (`aetui.views.figures.session_look`), so that they differ in 16 colours and without
colour too."""

from __future__ import annotations

import math

from rich.text import Text
from textual_plotext import PlotextPlot

from aetui.core.runstate import EPOCH_POINTS, thinned
from aetui.ui.widgets.axes import MOST_MARKS, decade_ticks, round_ticks, scaled, spans_decades
from aetui.views.figures import session_look
from aetui.views.formats import objective
from aetui.views.replay import Replay

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
        one curve up to the branch point, then two). A training curve's first epoch (its mean from the
        first batch on) that would leave the rest under half the rows is cut at the top, with how high
        it goes written there (`↑1.234`)."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        curves = [[(float(e.epoch), e.logs.get(key, math.nan)) for e in thinned(r.session.epochs, EPOCH_POINTS)]
                  for r in replays for key in ("val_loss", "loss")]
        settled = [y for n, c in enumerate(curves) for _, y in (c[1:] if n % 2 and len(c) > 2 else c)]
        log = self.log_scale if self.log_scale is not None else spans_decades(settled)  # (as the rest reads best)
        plotted, xs, firsts, symbols = [], [], [], []
        for i, r in enumerate(replays):
            colour, mark = session_look(i)
            drawn = [scaled(curve, log) for curve in curves[2 * i:2 * i + 2]]  # (validation, training)
            for k, (curve, (px, py)) in enumerate(zip(curves[2 * i:2 * i + 2], drawn)):
                if px:  # (dots for training smothered the plot: thin lines both)
                    plt.plot(px, py, color=colour, marker="braille")
                    training_first = k == 1 and len(px) > 2  # (an epoch's mean from the first batch on: may be cut)
                    plotted += py[1:] if training_first else py
                    firsts += [(py[0], curve[0][1], px[0], colour)] if training_first else []
                    xs += px
            px, py = drawn[0]
            every = max(len(replays), -(-len(px) // SYMBOLS))
            if px:  # (its symbol on its validation curve, each session's at epochs of its own: apart without colour)
                symbols.append((px[i % every::every], py[i % every::every], colour, mark))
            steps = next((e.steps_per_epoch for e in r.session.history if hasattr(e, "steps_per_epoch")), 0)
            marks = {round(c.step / steps, 2) for c in r.session.changes} if steps else set()
            for x in thinned(sorted(marks), MOST_MARKS):  # (each change marked where it took effect)
                plt.vline(x, color=colour)
        for px, py, colour, mark in symbols:  # (over every line: no later session's line hides them)
            plt.scatter(px, py, color=colour, marker=mark)
        top, bottom = (max(plotted), min(plotted)) if plotted else (0.0, 0.0)
        cut = [first for first in firsts if first[0] - top > top - bottom]  # (it would leave the rest under half the rows)
        plotted += [first[0] for first in firsts if first not in cut]
        limits = decade_ticks(plt, plotted) if log else round_ticks(plt, plotted)
        for _, raw, x, colour in cut if limits else ():  # where it leaves the top: how high it goes
            plt.text(f"↑{objective(raw)}", x, limits[1], color=colour, alignment="left")
        round_ticks(plt, xs, "x")
        self.drawn_log = log
        plt.title("validation loss: the line with symbols · training: without" + (" · log y (l)" if log else ""))
        plt.xlabel("epoch")
        self.legend = Text("  ").join(look_text(i, name) for i, name in enumerate(names))
        self.refresh()
