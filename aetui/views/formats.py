"""How figures read, the same in every view: one formatter for each kind of figure.

Objectives and their parts keep four significant digits (`0.04767`, `166.3`), so do per-pixel
errors and other figures; log-likelihoods and KLs are nats (`-98.31 nats` where the unit is not
in the header); accuracies and shares are percentages (`21.5%`, `14%`); counts are whole numbers
(`1,024`); times are seconds or minutes (`3.2 s`, `12 min`); hyperparameter values are as short as
exact (`0.003`, `1e-07`). Where a column is narrow, `fit` writes a number shorter (`.0849`, `166`)
by rounding, never by cutting it into a different number.
"""

from __future__ import annotations

import math

from aetui.core import ranking

PERCENTAGES = ("near_zero", "first_two_zero", "disc_acc", "knn_acc", "probe_acc", "knn2_acc")
"""Figures that are fractions (of the test digits, of a discriminator's guesses): percentages."""
ACCURACIES = ("knn_acc", "probe_acc", "knn2_acc")
"""Percentages read to a tenth."""
COUNTS = ("dead_units", "units", "active_units", "always_on")
"""Figures that count units."""
NATS = ("elbo", "iwae", "kl", "parzen_ll", "parzen_se", "bce_image", "test_bce_image")
"""Figures in nats (log-likelihoods and KLs per image)."""
HEADERS = {"mean_activation": "mean code", "near_zero": "near 0", "dead_units": "dead",
           "first_two_zero": "unit 1|2 0", "active_units": "active", "disc_acc": "disc acc", "val_loss": "val loss",
           "l0": "L0", "val_recon": "val recon", "loss": "train loss",
           **{key: ranking.LABELS[by] for by, key in ranking.KEYS.items()},
           "test_mse_image": "test MSE/image", "test_bce_image": "test BCE/image (nats)"}
"""Short column headers for the per-epoch figures (tables of several sessions)."""


def header(key: str) -> str:
    """A figure's short column header (`aetui eval`'s figures: their labels, declared with them)."""
    if key in HEADERS:
        return HEADERS[key]
    from aetui.core.analysis.evaluation import METRICS

    return METRICS[key][0] if key in METRICS else key.replace("_", " ")


def _real(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def objective(value: float | None) -> str:
    """A loss or loss part (a family's own objective): four significant digits; `-` where there is none."""
    if not _real(value):
        return "-"
    return f"{value:.4g}"


loss = objective
"""(A loss part is a piece of the objective: the same formatter.)"""


def pixel_error(value: float | None) -> str:
    """A reconstruction error per pixel (or per image): four significant digits."""
    return objective(value)


def nats(value: float | None, unit: bool = False) -> str:
    """A log-likelihood or a KL in nats: four significant digits (`-98.31`), with ` nats` if `unit`."""
    if not _real(value):
        return "-"
    return f"{value:.4g}" + (" nats" if unit else "")


def percentage(value: float | None, decimals: int = 0) -> str:
    """A fraction as a percentage (`0.1415` reads `14%`, or `14.2%` with one decimal)."""
    if not _real(value) or not math.isfinite(value):
        return "-"
    return f"{value:.{decimals}%}"


share = percentage
"""(A share of the test digits is a percentage.)"""


def count(value: float | None) -> str:
    """A count, whole (`1,024`)."""
    if not _real(value) or not math.isfinite(value):
        return "-"
    return f"{int(round(value)):,}"


def seconds(value: float | None) -> str:
    """A time: `0.42 s`, `3.2 s`, `95 s`, `12 min`, `2.5 h`."""
    if not _real(value) or not math.isfinite(value):
        return "-"
    if value < 100:
        return f"{value:.2g} s" if value < 1 else f"{value:.3g} s"
    return f"{value / 60:.0f} min" if value < 3600 else f"{value / 3600:.2g} h"


def param(value: float) -> str:
    """A hyperparameter value, as short as exact (`0.001`, `1e-07`, `3`)."""
    return f"{value:g}"


def stat(key: str, value) -> str:
    """A figure by its kind: percentages (accuracies to a tenth), counts whole, nats, errors and
    objectives with four significant digits."""
    if key in PERCENTAGES:
        return percentage(value, 1 if key in ACCURACIES else 0)
    if key in COUNTS:
        return count(value)
    if key in NATS:
        return nats(value)
    if "mse" in key or "bce" in key:
        return pixel_error(value)
    return objective(value)


def fit(text: str, width: int) -> str:
    """A number (as text, a `%` after it allowed) written to fit `width` characters: the leading
    zero dropped, then fewer significant digits, rounding; text that is no number, or that cannot
    fit, is left whole."""
    if len(text) <= width:
        return text
    suffix = "%" if text.endswith("%") else ""
    try:
        value = float(text[:-1] if suffix else text.replace(",", ""))
    except ValueError:
        return text
    room = width - len(suffix)
    for digits in range(4, 0, -1):
        for candidate in (f"{value:.{digits}g}", f"{round(value):d}" if abs(value) >= 1 and math.isfinite(value) else ""):
            short = candidate.replace("0.", ".", 1) if candidate.startswith(("0.", "-0.")) else candidate
            if short and len(short) <= room:
                return short + suffix
    return text


def fit_column(texts: list[str], width: int) -> list[str]:
    """A column of numbers in at most `width` characters each, alike: where one needs it, every
    one loses its leading zero (`.0849`, `.8474`); then each is shortened as `fit` does."""
    if all(len(t) <= width for t in texts):
        return list(texts)
    bare = [t.replace("0.", ".", 1) if t.startswith(("0.", "-0.")) else t for t in texts]
    return [fit(t, width) for t in bare]


def listing_row(summary: tuple) -> list[str]:
    """A session's listing values (`Session.summary`) as the cells home and `aetui ls` show."""
    name, status, figure, own, *rest = summary
    return [name, status, pixel_error(figure), objective(own), *[str(v) for v in rest]]


def logs_line(logs: dict[str, float], prefix: str = "") -> str:
    """`0.123 (recon 0.1, kl 0.02)`: the loss and its parts, for one line."""
    keys = [k for k in logs if k.startswith(prefix) and "_" not in k[len(prefix):].replace("disc_acc", "")]
    parts = [f"{k[len(prefix):]} {objective(logs[k])}" for k in keys if k != f"{prefix}loss"]
    main = logs.get(f"{prefix}loss")
    text = objective(main) if main is not None else ""
    return f"{text} ({', '.join(parts)})" if parts else text


def ratio(test: float | None, train: float | None) -> str:
    """How far a test figure is from the training one, in one phrase: `test 2.1x training`, `equal`."""
    if not _real(test) or not _real(train) or not math.isfinite(test) or not math.isfinite(train) or train <= 0:
        return ""
    times = test / train
    if abs(times - 1) < 0.005:
        return "test = training"
    return f"test {times:.2g}x training" if times < 100 else f"test {times:,.0f}x training"


SHORT_STATUS = {"finished": "done", "interrupted": "interr.", "diverged": "diverg."}
"""Statuses in at most seven letters, where a listing is narrow (the others are already)."""
SHORT_HEADERS = {"test MSE/pixel": "MSE/px", "test BCE/pixel": "BCE/px", "val loss": "val"}


def fit_listing(headers: list[str], rows: list[list[str]], width: int,
                steps: int | None = None) -> tuple[list[str], list[list[str]], int]:
    """A listing's columns after the name (`listing_row`'s cells but the first, status first and
    date last) in `width` columns (two a column for its padding) where they can be: step by step,
    dates as `12-04 05:10`, statuses in seven letters, then the figures' headers short; every
    value whole. `steps`: take exactly so many steps (a later page of a list shortened so).
    Returns the headers, the rows and the steps taken."""
    def wide(heads: list[str], cells: list[list[str]]) -> int:
        return sum(max([len(h)] + [len(row[i]) for row in cells]) + 2 for i, h in enumerate(heads))

    def short_date(cell: str) -> str:
        return cell[5:] if len(cell) == 16 and cell[4] == "-" and cell[10] == " " else cell

    shortening = [lambda h, c: (h, [[*row[:-1], short_date(row[-1])] for row in c]),
                  lambda h, c: (h, [[SHORT_STATUS.get(row[0], row[0]), *row[1:]] for row in c]),
                  lambda h, c: ([SHORT_HEADERS.get(x, x) for x in h], c)]
    taken = 0
    for step in shortening:
        if (taken >= steps) if steps is not None else wide(headers, rows) <= width:
            break
        headers, rows = step(headers, rows)
        taken += 1
    return headers, rows, taken


SHORTEST = 4
"""Characters a figure keeps at least where a table is narrowed (`.151`, `20.4`, `166`)."""


def fit_table(rows: list[list[str]], numbers: list[int], width: int, gap: int = 2,
              headers: list[str] = ()) -> list[list[str]]:
    """A table's cells in `width` columns (`gap` a column for padding) where they can be: the
    widest column of `numbers` loses a character at a time (`fit_column`: decimals first, every
    value still whole, `SHORTEST` characters at least) until the table fits; where it cannot, the
    cells stay as they are (the table scrolls). No column is dropped; one is as wide as the longest
    word of its header at least (`headers`: they wrap)."""
    columns = [list(c) for c in zip(*rows)]
    least = [max(len(w) for w in h.split()) if h.split() else 0 for h in headers] or [0] * len(columns)

    def wide(column: list[str]) -> int:
        return max(len(t) for t in column)

    floor = [max(m, min(wide(c), SHORTEST)) if i in numbers else max(m, wide(c))
             for i, (c, m) in enumerate(zip(columns, least))]
    if sum(f + gap for f in floor) > width:
        return rows  # (too wide even so: the table scrolls, every figure as it was)
    while columns and sum(max(wide(c), m) + gap for c, m in zip(columns, least)) > width:
        numbers = [i for i in numbers if wide(columns[i]) > floor[i]]  # (at its header's width: no gain)
        widest = max(numbers, key=lambda i: wide(columns[i]), default=None)
        if widest is None:
            break
        shorter = fit_column(columns[widest], wide(columns[widest]) - 1)
        if wide(shorter) >= wide(columns[widest]):
            numbers = [i for i in numbers if i != widest]  # (as short as it gets: the next one)
            continue
        columns[widest] = shorter
    return [list(r) for r in zip(*columns)] if columns else rows
