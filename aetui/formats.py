"""How figures read, the same in every view: one formatter for each kind of figure.

Losses keep four significant digits (`0.04767`, `166.3`); shares are percentages (`14%`); counts
are whole numbers; hyperparameter values are as short as exact (`0.003`, `1e-07`). Where a column
is narrow, `fit` writes a number shorter (`.0849`, `166`) by rounding, never by cutting it into a
different number.
"""

from __future__ import annotations

import math

SHARES = ("near_zero", "first_two_zero", "disc_acc", "knn_acc", "probe_acc")
"""Figures that are fractions of the test digits (shown as percentages)."""
COUNTS = ("dead_units", "units", "active_units", "always_on")
"""Per-epoch figures that count units."""
HEADERS = {"mean_activation": "mean code", "near_zero": "near 0", "dead_units": "dead",
           "first_two_zero": "unit 1|2 0", "active_units": "active", "disc_acc": "disc acc", "val_loss": "val loss", "l0": "L0",
           "val_recon": "val recon"}
"""Short column headers for the per-epoch figures (tables of several sessions)."""


def header(key: str) -> str:
    """A figure's short column header (`aetui eval`'s figures: their labels, declared with them)."""
    if key in HEADERS:
        return HEADERS[key]
    from aetui.core.evaluation import METRICS

    return METRICS[key][0] if key in METRICS else key.replace("_", " ")


def loss(value: float | None) -> str:
    """A loss or loss part: four significant digits; `-` where there is none."""
    if value is None or not isinstance(value, (int, float)):
        return "-"
    return f"{value:.4g}"


def share(value: float | None) -> str:
    """A fraction as a whole percentage (`0.1415` reads `14%`)."""
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "-"
    return f"{value:.0%}"


def param(value: float) -> str:
    """A hyperparameter value, as short as exact (`0.001`, `1e-07`, `3`)."""
    return f"{value:g}"


def stat(key: str, value) -> str:
    """A figure by its kind: shares as percentages (accuracies to a tenth), counts whole, others as
    losses."""
    if key in SHARES:
        if key.endswith("_acc") and key != "disc_acc" and isinstance(value, (int, float)) and math.isfinite(value):
            return f"{value:.1%}"
        return share(value)
    if key in COUNTS and isinstance(value, (int, float)) and math.isfinite(value):
        return str(int(value))
    return loss(value)


def fit(text: str, width: int) -> str:
    """A number (as text) written to fit `width` characters: the leading zero dropped, then fewer
    significant digits, rounding; text that is no number, or that cannot fit, is left whole."""
    if len(text) <= width:
        return text
    try:
        value = float(text)
    except ValueError:
        return text
    for digits in range(4, 0, -1):
        for candidate in (f"{value:.{digits}g}", f"{round(value):d}" if abs(value) >= 1 and math.isfinite(value) else ""):
            short = candidate.replace("0.", ".", 1) if candidate.startswith(("0.", "-0.")) else candidate
            if short and len(short) <= width:
                return short
    return text


def fit_column(texts: list[str], width: int) -> list[str]:
    """A column of numbers in at most `width` characters each, alike: where one needs it, every
    one loses its leading zero (`.0849`, `.8474`); then each is shortened as `fit` does."""
    if all(len(t) <= width for t in texts):
        return list(texts)
    bare = [t.replace("0.", ".", 1) if t.startswith(("0.", "-0.")) else t for t in texts]
    return [fit(t, width) for t in bare]


VAL_SPARSITY_NOTE = "val sparsity: test digits sit farther from p (no overfit: recon agrees)"
"""Said wherever the KL sparsity penalty on the test digits is far above the training one (the
README's "Training statistics" explains why)."""


def val_sparsity_note(logs: dict[str, float], kl_sparsity: bool) -> str:
    """`VAL_SPARSITY_NOTE` where it applies to `logs` (an epoch's), else ""."""
    high = kl_sparsity and "val_sparsity" in logs and logs["val_sparsity"] > 2 * logs.get("sparsity", 0)
    return VAL_SPARSITY_NOTE if high else ""


def logs_line(logs: dict[str, float], prefix: str = "") -> str:
    """`0.123 (recon 0.1, kl 0.02)`: the loss and its parts, for one line."""
    keys = [k for k in logs if k.startswith(prefix) and "_" not in k[len(prefix):].replace("disc_acc", "")]
    parts = [f"{k[len(prefix):]} {loss(logs[k])}" for k in keys if k != f"{prefix}loss"]
    main = logs.get(f"{prefix}loss")
    text = loss(main) if main is not None else ""
    return f"{text} ({', '.join(parts)})" if parts else text
