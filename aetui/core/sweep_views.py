"""A sweep's trials as the views show them: their sessions, progress, values and ranking (plain data)."""

from __future__ import annotations

import math
from pathlib import Path

from aetui.core.errors import AetuiError
from aetui.core.sweep import Sweep

SORT_DEFAULT = "val_recon"
"""What sessions are ranked by unless the user picks another figure: the validation reconstruction
error. The total `val_loss` holds `beta` (or `lam`) times its penalty, so over a sweep of that
weight the smallest would always look best."""
HIGHER_IS_BETTER = frozenset({"knn_acc", "probe_acc", "elbo", "iwae", "parzen_ll", "active_units"})
"""Figures where more is better (they rank largest first); the others rank smallest first."""


def figures_at(session, epoch: int | None = None) -> dict[str, float]:
    """Every number known of `session` at `epoch` (default: its last): losses and their parts,
    train and validation, the epoch's statistics, and `aetui eval`'s figures where that epoch was
    evaluated (empty if it has no such epoch)."""
    ended = {e.epoch: e for e in session.epochs}
    epoch = max(ended, default=None) if epoch is None else epoch
    if epoch not in ended:
        return {}
    e = ended[epoch]
    found = {**{k: v for k, v in e.logs.items() if _number(v)}, **{k: v for k, v in e.stats.items() if _number(v)}}
    from aetui.core.evaluation import stored

    record = stored(session)[0].get(epoch)
    if record is not None:
        found.update({k: v for k, v in record.metrics.items() if _number(v)})
    return found


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def final_figures(session) -> dict[str, float]:
    """A trial's last epoch: losses, statistics and evaluated figures (empty if it has none)."""
    return figures_at(session)


def ordered(rows: list, figures: list[dict[str, float]], key: str) -> list:
    """`rows` ordered by each one's figure `key` (`figures` in the same order), best first; rows
    without that figure last, in their order."""
    sign = -1.0 if key in HIGHER_IS_BETTER else 1.0
    ranked = sorted(range(len(rows)), key=lambda i: (key not in figures[i], sign * figures[i].get(key, 0.0), i))
    return [rows[i] for i in ranked]


def sort_choices(figures: list[dict[str, float]]) -> list[str]:
    """The figures sessions can be ranked by (those at least one has), the default first."""
    keys = list(dict.fromkeys(k for f in figures for k in f))
    return sorted(keys, key=lambda k: (k != SORT_DEFAULT, k != "val_loss", keys.index(k)))


def trial_sessions(store: Path, sweep: Sweep) -> list:
    """The sweep's trial sessions that exist so far, in grid order."""
    from aetui.core.sessions import META, open_session

    found = []
    for name in sweep.trials:
        if (store / name / META).exists():
            try:
                found.append(open_session(store / name))
            except AetuiError:
                continue
    return found


def progress(sweep: Sweep, trials: list) -> str:
    """`3/12 finished, 2 running, 1 diverged` for a sweep and the trial sessions found."""
    counts: dict[str, int] = {}
    for session in trials:
        counts[session.status] = counts.get(session.status, 0) + 1
    done = counts.pop("finished", 0)
    waiting = len(sweep.trials) - len(trials)
    parts = [f"{done}/{len(sweep.trials)} finished"] + [f"{n} {status}" for status, n in sorted(counts.items())]
    return ", ".join(parts + ([f"{waiting} waiting"] if waiting else []))


def ranking(trials: list, grid: list[str], sort: str = SORT_DEFAULT) -> tuple[list[str], list[list]]:
    """The sweep table: a row per trial with its grid values (which name its session), status,
    epochs, final validation reconstruction error, total losses, statistics and evaluated figures,
    best first by `sort` (default: the validation reconstruction error); (columns, rows), the rows
    holding the values themselves (None where missing) for the caller to format."""
    from aetui.core.analysis.sparsity import figure_keys
    from aetui.core.evaluation import METRICS

    kinds = {s.meta.kind for s in trials}
    figures = [final_figures(s) for s in trials]
    known = set().union(*figures) if figures else set()
    stats = list(dict.fromkeys(k for kind in sorted(kinds) for k in figure_keys(kind)))
    evaluated = [k for k in METRICS if k in known and k not in stats]
    columns = [*grid, "status", "epochs", "val_recon", "val_loss", "loss", *stats, *evaluated]
    rows = []
    for s, last in zip(trials, figures):
        values = trial_values(s)
        rows.append([values.get(g) for g in grid] + [s.status, s.epochs_done] +
                    [last.get(c) for c in columns[len(grid) + 2:]])
    return columns, ordered(rows, figures, sort)


def trial_values(session) -> dict[str, float]:
    """The grid values a trial session was run with (empty if its record is damaged)."""
    found = session.meta.sweep
    values = found.get("params") if isinstance(found, dict) else None
    if not isinstance(values, dict):
        return {}
    return {k: v for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
