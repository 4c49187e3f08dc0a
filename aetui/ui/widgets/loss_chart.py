"""The loss chart: train loss per batch, validation loss and loss parts per epoch, change markers."""

from __future__ import annotations

import math

from rich.text import Text
from textual_plotext import PlotextPlot

from aetui.core.conventions import EPOCH
from aetui.core.runstate import RunState

COLOURS = {"loss": (80, 200, 255), "val_loss": (255, 200, 60), "recon": (90, 220, 120), "kl": (230, 100, 230),
           "sparsity": (230, 100, 230), "l1": (230, 100, 230), "l2": (120, 140, 255), "nonneg": (120, 140, 255),
           "disc": (255, 90, 90), "gen": (200, 200, 200)}
"""An RGB colour per curve, used by the chart and by its legend alike."""
OTHER = (170, 170, 170)
MARKS = {"loss": "●", "val_loss": "◆", "recon": "▲", "kl": "■", "sparsity": "■", "l1": "■", "l2": "✚",
         "nonneg": "✚", "disc": "✖", "gen": "★"}
"""A symbol per curve, drawn on it (a few times) and in the legend: curves differ without colour too."""
SYMBOLS = 8
"""Points of a curve drawn as its symbol at most (evenly spread)."""
SHORT = 18
"""A chart fewer rows high leaves out its x axis's name ("epoch"), so that at 80x24 it keeps 12 plot rows."""


def markup(name: str) -> str:
    """The curve's symbol and name in its colour, as rich markup."""
    r, g, b = COLOURS.get(name, OTHER)
    return f"[rgb({r},{g},{b})]{MARKS.get(name, '•')} {name}[/]"


def zero_row(values: list[float]) -> float | None:
    """Where a log axis draws zero: a decade under the smallest positive value (None where no
    value is zero, or none is positive)."""
    positive = [v for v in values if math.isfinite(v) and v > 0]
    if not positive or not any(v == 0 for v in values):
        return None
    return math.floor(math.log10(min(positive))) - 1.0


def scaled(points: list[tuple[float, float]], log_scale: bool, zero: float | None = None
           ) -> tuple[list[float], list[float]]:
    """The finite points of a curve as (xs, ys) to plot: with `log_scale`, the positive ones with
    log10 of y (the log is taken here, not by plotext, whose log axis is applied again at every redraw)
    and zeros at `zero` (`zero_row`: a curve of zeros, an `l2` of 0, still shows, on its own row)."""
    kept = [(x, y) for x, y in points
            if math.isfinite(y) and (y > 0 or not log_scale or (y == 0 and zero is not None))]
    return [x for x, _ in kept], [(math.log10(y) if y > 0 else zero) if log_scale else y for _, y in kept]


def log_ticks(values: list[float], most: int = 8) -> list[float]:
    """Round numbers to label a log-scaled axis whose `values` are log10 already, inside their range:
    powers of ten (every second, third ... where more than `most` would crowd the axis), else also
    2 and 5 times them, else every digit; where none of those fit (a range under a digit's step),
    the round values `linear_ticks` finds, which may lie just outside it."""
    low, high = min(values), max(values)
    decades = range(math.floor(low), math.ceil(high) + 1)
    for mantissas in ((1,), (1, 2, 5), tuple(range(1, 10))):
        ticks = sorted({m * 10.0 ** d for d in decades for m in mantissas
                        if low - 1e-9 <= math.log10(m * 10.0 ** d) <= high + 1e-9})
        if len(ticks) >= 3:
            return ticks[::-(-len(ticks) // most)]
    return ticks if len(ticks) >= 2 else [t for t in linear_ticks(10.0 ** low, 10.0 ** high) if t > 0]


def tick_labels(ticks: list[float]) -> list[str]:
    """The ticks printed with as few significant digits (3 at least) as tell them apart."""
    for digits in range(3, 10):
        labels = [f"{t:.{digits}g}" for t in ticks]
        if len(set(labels)) == len(labels):
            return labels
    return labels


def decade_ticks(plt, values: list[float], zero: float | None = None) -> None:
    """Label a log-scaled y axis (`values` are log10 already) with `log_ticks`, the axis reaching
    every tick; and `0` at `zero`, the row zeros are drawn at (`zero_row`)."""
    above = [v for v in values if zero is None or v > zero]
    if above:
        ticks = log_ticks(above)
        if ticks:
            logs, labels = [math.log10(t) for t in ticks], tick_labels(ticks)
            if zero is not None:
                logs, labels = [zero, *logs], ["0", *labels]
            plt.yticks(logs, labels)
            plt.ylim(min(logs + values), max(logs + values))


SIGNIFICANT = 3
"""Tick labels need at most this many significant digits: a range narrower than a step of that
size is labelled at round values just around it (the axis widened to them)."""


def linear_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round, evenly spaced values inside [low, high]: multiples of 1, 2 or 5 times a power of ten,
    at most `most` of them, none needing more than `SIGNIFICANT` significant digits; for a range
    too narrow for two of those (a sliver, a flat line), the round values just around it."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [low] if math.isfinite(low) else []
    top = max(abs(low), abs(high))
    finest = 10.0 ** (math.floor(math.log10(top)) - SIGNIFICANT + 1) if top > 0 else 1.0
    if high > low:
        span = math.floor(math.log10(high - low))
        for exponent in range(span - 1, span + 2):
            for mantissa in (1, 2, 5):
                step = mantissa * 10.0 ** exponent
                first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
                if step >= finest * (1 - 1e-9) and 2 <= last - first + 1 <= most:
                    return [round(k * step, 12) for k in range(first, last + 1)]
    if high <= low:  # a flat line: its value, rounded, once
        return [float(f"{low:.{SIGNIFICANT}g}")]
    first, last = math.floor(low / finest + 1e-9), math.ceil(high / finest - 1e-9)
    return [round(k * finest, 12) for k in range(first, max(last, first + 1) + 1)][:most]


def round_ticks(plt, values: list[float], axis: str = "y") -> None:
    """Label a linear axis at `linear_ticks` of the plotted values, the axis reaching every tick."""
    finite = [v for v in values if math.isfinite(v)]
    if finite:
        ticks = linear_ticks(min(finite), max(finite))
        (plt.yticks if axis == "y" else plt.xticks)(ticks, tick_labels(ticks) if axis == "y" else
                                                    [f"{t:g}" for t in ticks])
        if axis == "y" and ticks and (ticks[0] < min(finite) or ticks[-1] > max(finite)):
            plt.ylim(min(ticks + finite), max(ticks + finite))


def spans_decades(values: list[float]) -> bool:
    """Whether positive `values` span more than a decade (a log axis then reads better)."""
    positive = [v for v in values if math.isfinite(v) and v > 0]
    return bool(positive) and max(positive) > 10 * min(positive)


class LossChart(PlotextPlot):
    """Plots a `RunState`'s curves; `log_scale` switches the y axis to a log scale."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.log_scale: bool | None = None
        """True or False as the user chose with `l`; None: log exactly where the values span more
        than a decade (`spans_decades`)."""
        self.drawn_log = False
        """Whether the last drawing used a log axis."""
        self.legend = ""
        """Rich markup naming each drawn curve in its colour (shown by the screen around the chart)."""
        self.key = None
        self.rendered: dict[tuple, list] = {}
        """Rendered lines by (key, log choice), width, height, theme (see `show`)."""
        self.legends: dict[tuple, tuple[str, bool]] = {}
        """The legend and log axis of each (key, log choice), height drawn (see `show`)."""
        self.unplotted: tuple | None = None
        """What `show` was asked to draw but did not plot (its rendering was kept)."""

    def show(self, state: RunState, mark: float | None = None, pending: list[float] = (), key=None) -> None:
        """Redraw from the state (call at a bounded rate; the cost is in rendering); `mark` draws a
        vertical line at that epoch (the replay's chosen epoch), `pending` one at each change planned
        ahead (where it will take effect, in epochs), until it applies. `key` names this drawing of a
        state that does not change (a replay's), so its rendering is kept (`RENDERED` of them) and one
        made ahead (`prerender`) is taken."""
        self.key = None if key is None else (key, self.log_scale)
        known = self.legends.get((self.key, self.size.height)) if key is not None else None
        if known is None:
            self.legend, self.drawn_log = draw(self.plt, state, mark, pending, self.log_scale, self.size.height)
            self.unplotted = None
        else:  # (rendered ahead: plotted only if rendered anew, at another size)
            (self.legend, self.drawn_log), self.unplotted = known, (state, mark, pending)
        if key is not None:
            self.legends[(self.key, self.size.height)] = (self.legend, self.drawn_log)
        self.refresh()

    def _render_content(self) -> None:
        """Textual's rendering of the widget's lines (`Widget._render_content`), kept by `key`: plotext's
        build and Textual's conversion of its text into lines are most of a chart's cost."""
        if self.key is None:
            return super()._render_content()
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


def draw(plt, state: RunState, mark: float | None, pending, log_scale: bool | None, height: int) -> tuple[str, bool]:
    """Plot the state's curves on plotext `plt` (see `LossChart.show`); returns the legend (rich markup)
    and whether the y axis is logarithmic."""
    plt.clear_data()
    plt.clear_figure()
    series = {name: curve for name, curve in state.series().items()  # parts: training only, to stay readable
              if (not name.startswith("val_") or name == "val_loss") and not name.endswith(EPOCH)}
    values = [y for _, ys in series.values() for y in ys]
    log = log_scale if log_scale is not None else spans_decades(values)
    zero = zero_row(values) if log else None
    drawn: list[str] = []
    plotted: list[float] = []
    xs_all: list[float] = []
    for name, (xs, ys) in series.items():
        px, py = scaled(list(zip(xs, ys)), log, zero)
        if not px:
            continue
        plotted += py
        xs_all += px
        colour = COLOURS.get(name, OTHER)
        plt.plot(px, py, color=colour, marker="braille")
        every = max(1, -(-len(px) // SYMBOLS))
        plt.scatter(px[every // 2::every], py[every // 2::every], color=colour, marker=MARKS.get(name, "•"))
        drawn.append(name)
    for x in state.change_positions():
        plt.vline(x, (255, 60, 60))
    for x in pending:
        plt.vline(x, (80, 200, 220))
    if mark is not None:
        plt.vline(mark, (255, 255, 255))
    if log:
        decade_ticks(plt, plotted, zero)
    else:
        round_ticks(plt, plotted)
    round_ticks(plt, xs_all, "x")
    if height >= SHORT:  # (short, the axis's row goes to the plot: its numbers are epochs)
        plt.xlabel("epoch")
    legend = " ".join(markup(n) for n in drawn) + \
        (" [red]│ change[/]" if state.changes else "") + (" [cyan]│ planned[/]" if pending else "") + \
        (f" [b]│ epoch {mark:g}[/]" if mark is not None else "") + (" · log y" if log else "")
    return legend, log
