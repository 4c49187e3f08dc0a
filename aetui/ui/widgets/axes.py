"""A chart's axes, plain arithmetic on the values plotext draws: ticks (log and linear), where a
log axis draws zero, which curves go against a right axis of their own, whether an axis is log."""

from __future__ import annotations

import math
from bisect import bisect_left

MOST_MARKS = 200
"""Changes a chart marks at most, a vertical line each, spread over all of them (a run changed at every
batch has hundreds of thousands: plotext's build walks every line, and 160 columns show 200 at most)."""


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


def symbol_points(px: list[float], py: list[float], index: int, count: int, span: tuple[float, float],
                  slots: int = 8) -> tuple[list[float], list[float]]:
    """Where curve `index` of `count` drawn together shows its symbol: `slots` places spread evenly
    over `span`, the x range of them all, each curve's shifted by its share of the spacing, so that
    curves lying on one another still show every symbol, in turn; a curve takes the places inside
    its own x range (a point between two of its own is on its line: interpolated, in the values as
    plotted)."""
    if len(px) < 2:
        return list(px), list(py)
    step = (span[1] - span[0]) / slots
    xs = [x for k in range(slots) if px[0] <= (x := span[0] + step * (k + (index % count + 0.5) / count)) <= px[-1]]
    ys = []
    for x in xs:
        i = min(max(bisect_left(px, x), 1), len(px) - 1)
        x0, x1, y0, y1 = px[i - 1], px[i], py[i - 1], py[i]
        ys.append(y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0))
    return xs, ys


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


def decade_ticks(plt, values: list[float], zero: float | None = None,
                 yside: str | None = None) -> tuple[float, float] | None:
    """Label a log-scaled y axis (`values` are log10 already; `yside` "right" for the right one) with
    `log_ticks`, the axis reaching every tick; and `0` at `zero`, the row zeros are drawn at (`zero_row`).
    Returns the axis's limits (None where it has no ticks)."""
    above = [v for v in values if zero is None or v > zero]
    if above:
        ticks = log_ticks(above)
        if ticks:
            logs, labels = [math.log10(t) for t in ticks], tick_labels(ticks)
            if zero is not None:
                logs, labels = [zero, *logs], ["0", *labels]
            plt.yticks(logs, labels, yside=yside)
            plt.ylim(min(logs + values), max(logs + values), yside=yside)
            return min(logs + values), max(logs + values)
    return None


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


def round_ticks(plt, values: list[float], axis: str = "y", yside: str | None = None) -> tuple[float, float] | None:
    """Label a linear axis at `linear_ticks` of the plotted values, the axis reaching every tick
    (`yside` "right": the right y axis). Returns a y axis's limits (None where it has no ticks)."""
    finite = [v for v in values if math.isfinite(v)]
    if finite:
        ticks = linear_ticks(min(finite), max(finite))
        if axis == "y":
            plt.yticks(ticks, tick_labels(ticks), yside=yside)
        else:
            plt.xticks(ticks, [f"{t:g}" for t in ticks])
        if axis == "y" and ticks:  # (set even where the ticks lie inside: points outside `values` are cut)
            plt.ylim(min(ticks + finite), max(ticks + finite), yside=yside)
            return min(ticks + finite), max(ticks + finite)
    return None


APART = 10.0
"""A loss part whose typical size differs from the loss's by more than this factor is drawn against an
axis of its own (the right one): on one axis with the loss (a VAE's KL of about 5 beside a total of
about 150) one of them would be a flat line."""


def typical(values: list[float]) -> float:
    """A curve's typical size: the median of its finite values' magnitudes (0 for a curve of zeros)."""
    sizes = sorted(abs(v) for v in values if math.isfinite(v))
    return sizes[len(sizes) // 2] if sizes else 0.0


def by_axis(series: dict[str, tuple[list[float], list[float]]], reference: str = "loss") -> tuple[list[str], list[str]]:
    """The curves for the left axis (the loss, and those of its size within `APART`, and curves of
    zeros) and for the right one (the others: parts of another size)."""
    names = list(series)
    ref = typical(series[reference][1]) if reference in series else (typical(series[names[0]][1]) if names else 0)
    right = [n for n in names if ref > 0 and typical(series[n][1]) > 0 and
             max(typical(series[n][1]) / ref, ref / typical(series[n][1])) > APART]
    return [n for n in names if n not in right], right


SHARE = 0.25
"""A curve that would take less than this share of its axis's height is flat: the chart then gives
the parts of another size an axis of their own (`by_axis`)."""


def flattest(series: dict[str, tuple[list[float], list[float]]], names: list[str], log_scale: bool | None) -> float:
    """The smallest share of their axis's height that the curves `names` take on one axis (log as
    `log_scale` says, or where they span decades), 1 for no curve."""
    values = [y for n in names for y in series[n][1]]
    log = axis_log(values, log_scale)
    drawn = [scaled(list(zip(*series[n])), log, zero_row(values) if log else None)[1] for n in names]
    drawn = [ys for ys in drawn if ys]
    every = [y for ys in drawn for y in ys]
    if not every or max(every) == min(every):
        return 1.0
    return min((max(ys) - min(ys)) / (max(every) - min(every)) for ys in drawn)


def axes_for(series: dict[str, tuple[list[float], list[float]]], log_scale: bool | None) -> tuple[list[str], list[str]]:
    """The curves on the left axis and those on the right: all on one where none is flattened there
    (each takes `SHARE` of the height at least), else split by size (`by_axis`) where that reads better."""
    names = list(series)
    alone = flattest(series, names, log_scale)
    if alone >= SHARE:
        return names, []
    left, right = by_axis(series)
    split = min(flattest(series, left, log_scale), flattest(series, right, log_scale))
    return (left, right) if right and split > alone else (names, [])


def axis_log(values: list[float], log_scale: bool | None) -> bool:
    """Whether an axis holding `values` is logarithmic: as `log_scale` says, or where they span more
    than a decade; never where one is negative (a log axis cannot show it)."""
    wanted = log_scale if log_scale is not None else spans_decades(values)
    return wanted and not any(v < 0 for v in values if math.isfinite(v))


def spans_decades(values: list[float]) -> bool:
    """Whether positive `values` span more than a decade (a log axis then reads better)."""
    positive = [v for v in values if math.isfinite(v) and v > 0]
    return bool(positive) and max(positive) > 10 * min(positive)
