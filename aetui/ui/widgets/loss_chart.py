"""The loss chart: train loss per batch, validation loss and loss parts per epoch, change markers."""

from __future__ import annotations

import time
from typing import NamedTuple

from rich.text import Text
from textual_plotext import PlotextPlot

from aetui.core.conventions import EPOCH
from aetui.core.runstate import RunState, thinned
from aetui.ui.widgets.axes import (MOST_MARKS, axes_for, axis_log, decade_ticks, round_ticks, scaled, symbol_points,
                                   zero_row)
from aetui.views.formats import objective

COLOURS = {"loss": (80, 200, 255), "val_loss": (255, 200, 60), "recon": (90, 220, 120), "kl": (230, 100, 230),
           "sparsity": (230, 100, 230), "l1": (230, 100, 230), "l2": (120, 140, 255), "nonneg": (120, 140, 255),
           "disc": (255, 90, 90), "gen": (200, 200, 200)}
"""An RGB colour per curve, used by the chart and by its legend alike."""
OTHER = (170, 170, 170)
MARKS = {"loss": "●", "val_loss": "◆", "recon": "▲", "kl": "■", "sparsity": "■", "l1": "■", "l2": "✚",
         "nonneg": "✚", "disc": "✖", "gen": "★"}
"""A symbol per curve, drawn on it (a few times) and in the legend: curves differ without colour too."""
SYMBOLS = 8
"""Points of a curve drawn as its symbol at most (evenly spread, each curve's shifted: `symbol_points`)."""
SHARE = 0.02
"""The most of the time the chart's redraws take during a run (`every`): one that costs more to draw
(a large terminal, a slow machine) is redrawn less often; the training loop shares the interpreter."""
SHORT = 18
"""A chart fewer rows high leaves out its x axis's name ("epoch"), so that at 80x24 it keeps 12 plot rows."""


def markup(name: str) -> str:
    """The curve's symbol and name in its colour, as rich markup."""
    r, g, b = COLOURS.get(name, OTHER)
    return f"[rgb({r},{g},{b})]{MARKS.get(name, '•')} {name}[/]"


class LossChart(PlotextPlot):
    """Plots a `RunState`'s curves; `log_scale` switches the y axis to a log scale."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.log_scale: bool | None = None
        """True or False as the user chose with `l`; None: log exactly where the values span more
        than a decade (`spans_decades`)."""
        self.drawn_log = False
        """Whether the last drawing used a log axis (the left one)."""
        self.drawn_right: list[str] = []
        """The curves the last drawing put against the right axis (`by_axis`)."""
        self.cut: dict[str, float] = {}
        """Curves whose first epoch the last drawing cut at the top of its axis, and their highest value
        (written where the curve leaves the top: `↑521.6`)."""
        self.legend = ""
        """Rich markup naming each drawn curve in its colour (shown by the screen around the chart)."""
        self.key = None
        self.rendered: dict[tuple, list] = {}
        """Rendered lines by (key, log choice), width, height, theme (see `show`)."""
        self.legends: dict[tuple, Drawn] = {}
        """What was drawn (legend, axes, cuts) for each (key, log choice), height (see `show`)."""
        self.unplotted: tuple | None = None
        """What `show` was asked to draw but did not plot (its rendering was kept)."""
        self.cost = 0.0
        """The CPU seconds its last rendering took (plotext's build and Textual's lines)."""

    def show(self, state: RunState, mark: float | None = None, pending: list[float] = (), key=None) -> None:
        """Redraw from the state (call at a bounded rate; the cost is in rendering); `mark` draws a
        vertical line at that epoch (the replay's chosen epoch), `pending` one at each change planned
        ahead (where it will take effect, in epochs), until it applies. `key` names this drawing of a
        state that does not change (a replay's), so its rendering is kept (`RENDERED` of them) and one
        made ahead (`prerender`) is taken."""
        self.key = None if key is None else (key, self.log_scale)
        known = self.legends.get((self.key, self.size.height)) if key is not None else None
        if known is None:
            known = draw(self.plt, state, mark, pending, self.log_scale, self.size.height)
            self.unplotted = None
        else:  # (rendered ahead: plotted only if rendered anew, at another size)
            self.unplotted = (state, mark, pending)
        self.legend, self.drawn_log, self.drawn_right, self.cut = known
        if key is not None:
            self.legends[(self.key, self.size.height)] = known
        self.refresh()

    def every(self, least: float) -> float:
        """Seconds between redraws during a run: `least`, or more where a redraw costs more than the
        chart's `SHARE` of that time."""
        return max(least, self.cost / SHARE)

    def _render_content(self) -> None:
        """Textual's rendering of the widget's lines (`Widget._render_content`), kept by `key`: plotext's
        build and Textual's conversion of its text into lines are most of a chart's cost (`cost`)."""
        if self.key is None:
            began = time.thread_time()
            super()._render_content()
            self.cost = time.thread_time() - began
            return
        from textual.widget import _RenderCache

        at = (self.key, self.size.width, self.size.height, self.plotext_theme())
        lines = self.rendered.get(at)
        if lines is None:
            if self.unplotted is not None:
                draw(self.plt, *self.unplotted, self.log_scale, self.size.height)
                self.unplotted = None
            super()._render_content()
            self.rendered[at] = self._render_cache.lines
            while len(self.rendered) > RENDERED:
                self.rendered.pop(next(iter(self.rendered)))
        else:
            self._render_cache = _RenderCache(self.size, lines)
            self._dirty_regions.clear()

    def prerender(self, state: RunState, marks: dict, size: tuple[int, int], theme: str, style) -> None:
        """Render ahead the lines `show(state, mark, key=key)` would draw, for each `key: mark` of
        `marks`, at `size` in plotext `theme` and the widget's `visual_style` (`style`), as read on the
        UI thread: in any thread (each on a plot of its own)."""
        from textual.visual import Visual, visualize
        from textual_plotext.plot import Plot

        for key, mark in marks.items():
            at = ((key, self.log_scale), *size, theme)
            if at in self.rendered:
                continue
            plt = Plot()
            self.legends[((key, self.log_scale), size[1])] = draw(plt, state, mark, (), self.log_scale, size[1])
            plt.plotsize(*size)
            plt._set_size(*size)
            plt.theme(theme)
            visual = visualize(self, Text.from_ansi(plt.build()), markup=False)
            self.rendered[at] = Visual.to_strips(self, visual, *size, style)

    def plotext_theme(self) -> str:
        """The plotext theme the chart draws in (on the UI thread: it reads the app's)."""
        return self._get_plotext_theme_name(self.app.theme)


RENDERED = 8
"""Renderings a chart keeps (its drawing now and those made ahead)."""


class Drawn(NamedTuple):
    """What `draw` put on a chart."""

    legend: str
    """Rich markup naming each curve in its colour, the axes and the marks."""
    log: bool
    """Whether the left axis is logarithmic."""
    right: list[str]
    """The curves on the right axis (`by_axis`)."""
    cut: dict[str, float]
    """Curves whose first epoch leaves the top of their axis, and their highest value."""


def draw(plt, state: RunState, mark: float | None, pending, log_scale: bool | None, height: int) -> Drawn:
    """Plot the state's curves on plotext `plt` (see `LossChart.show`); returns what was drawn: the
    legend (rich markup), whether the left axis is logarithmic, the curves on the right axis and the
    first epochs cut at the top."""
    plt.clear_data()
    plt.clear_figure()
    series = {name: curve for name, curve in state.series().items()  # parts: training only, to stay readable
              if (not name.startswith("val_") or name == "val_loss") and not name.endswith(EPOCH)}
    left, right = axes_for(series, log_scale)
    drawn: dict[str, list[str]] = {"left": [], "right": []}
    xs_all: list[float] = []
    symbols: list[tuple] = []
    labels: list[tuple] = []
    logs = {}
    cut: dict[str, float] = {}  # curves whose first epoch reaches above their axis, and how high (a
    # running mean that starts far above where it settles: a VAE's first batch is near 543 nats)
    for side, names in (("left", left), ("right", right)):
        values = [y for n in names for y in series[n][1]]
        log = axis_log(values, log_scale)
        zero = zero_row(values) if log else None
        plotted: list[float] = []
        early: dict[str, tuple[float, float, float]] = {}
        for name in names:
            px, py = scaled(list(zip(*series[name])), log, zero)
            if not px:
                continue
            settled = [y for x, y in zip(px, py) if x >= 1]
            if px[-1] > 1 and len(settled) < len(py):  # (the first epoch's batches: may be cut at the top)
                plotted += settled
                early[name] = (max(py), max(series[name][1]), px[0])
            else:
                plotted += py
            xs_all += px
            colour = COLOURS.get(name, OTHER)
            plt.plot(px, py, color=colour, marker="braille", yside=side)
            symbols.append((px, py, colour, MARKS.get(name, "•"), side))
            drawn[side].append(name)
        if plotted:  # cut where it would leave the rest under half the rows
            top, bottom = max(plotted), min(plotted)
            cut.update({name: raw for name, (high, raw, _) in early.items() if high - top > top - bottom})
        plotted += [high for name, (high, _, _) in early.items() if name not in cut]
        limits = None
        if plotted and log:
            limits = decade_ticks(plt, plotted, zero, side)
        elif plotted:
            limits = round_ticks(plt, plotted, yside=side)
        for name in (n for n in early if n in cut and limits):  # where it leaves the top: how high it goes
            labels.append((f"↑{objective(cut[name])}", early[name][2], limits[1], COLOURS.get(name, OTHER), side))
        logs[side] = log
    span = (min(xs_all), max(xs_all)) if xs_all else (0.0, 0.0)
    slots = min(SYMBOLS, max((len(px) for px, *_ in symbols), default=0))
    for i, (px, py, colour, symbol, side) in enumerate(symbols):  # (over every line, each curve's apart)
        sx, sy = symbol_points(px, py, i, len(symbols), span, slots)
        plt.scatter(sx, sy, color=colour, marker=symbol, yside=side)
    for text, x, y, colour, side in labels:  # (over the symbols)
        plt.text(text, x, y, color=colour, alignment="left", yside=side)
    for x in thinned(sorted(set(state.change_positions())), MOST_MARKS):
        plt.vline(x, (255, 60, 60))
    for x in pending:
        plt.vline(x, (80, 200, 220))
    if mark is not None:
        plt.vline(mark, (255, 255, 255))
    round_ticks(plt, xs_all, "x")
    if height >= SHORT:  # (short, the axis's row goes to the plot: its numbers are epochs)
        plt.xlabel("epoch")
    right = f" [b]│[/] right axis{' (log)' if logs['right'] else ''}: " + \
        " ".join(markup(n) for n in drawn["right"])
    legend = " ".join(markup(n) for n in drawn["left"]) + (" · log y" if logs["left"] else "") + \
        (right if drawn["right"] else "") + \
        (" [red]│ change[/]" if state.changes else "") + (" [cyan]│ planned[/]" if pending else "") + \
        (f" [b]│ epoch {mark:g}[/]" if mark is not None else "")
    return Drawn(legend, logs["left"], drawn["right"], cut)
