"""A sweep's trials as the views show them: their sessions, progress, values and ranking (plain data)."""

from __future__ import annotations

import math
from pathlib import Path

from aetui.core import ranking as rank
from aetui.core.errors import AetuiError
from aetui.core.sweeps.sweep import Sweep

SORT_DEFAULT = rank.KEYS[rank.DEFAULT]
"""What sessions are ranked by unless the user picks another figure: the test reconstruction error
per pixel, in units no family decides (`core.ranking`). The total `val_loss` holds `beta` (or
`lam`) times its penalty, so over a sweep of that weight the smallest would always look best; and
families' objectives differ, so it ranks only sessions of one objective."""
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
    from aetui.core.store.evaluations import stored

    record = stored(session)[0].get(epoch)
    if record is not None:
        found.update({k: v for k, v in record.metrics.items() if _number(v)})
    return rank.completed(found)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def final_figures(session) -> dict[str, float]:
    """A trial's last epoch: losses, statistics and evaluated figures (empty if it has none)."""
    return figures_at(session)


def ordered(rows: list, figures: list[dict[str, float]], key: str) -> list:
    """`rows` ordered by each one's figure `key` (`figures` in the same order), best first; rows
    without that figure last, in their order."""
    sign = -1.0 if key in HIGHER_IS_BETTER else 1.0
    return rank.ranked(rows, [sign * f[key] if key in f else None for f in figures])


def sort_choices(figures: list[dict[str, float]], objectives: bool = True) -> list[str]:
    """The figures sessions can be ranked by (those at least one has), the per-pixel errors first;
    their own objectives and its parts only where `objectives` (the sessions minimise the same)."""
    keys = list(dict.fromkeys(k for f in figures for k in f if k not in rank.NOT_FIGURES))
    keys = [k for k in keys if objectives or not rank.is_objective(k)]
    first = [rank.KEYS[by] for by in rank.CHOICES]
    return sorted(keys, key=lambda k: (k not in first, first.index(k) if k in first else 0, k != "val_loss",
                                       keys.index(k)))


def best(trials: list, by: str = rank.DEFAULT):
    """The sweep's best trial by the ranking figure (`ranking`'s order, so compare's table names the
    same one), with its final figures; None where no trial has the figure."""
    figures = [final_figures(s) for s in trials]
    key = rank.KEYS[by]
    top = ordered(list(zip(trials, figures)), figures, key)
    return top[0] if top and key in top[0][1] else None


def trial_sessions(store: Path, sweep: Sweep) -> list:
    """The sweep's trial sessions that exist so far, in grid order."""
    from aetui.core.store.sessions import META, open_session

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
    epochs, final per-pixel test errors, its own objective (validation and training), statistics
    and evaluated figures, best first by `sort` (default: the test MSE per pixel); (columns,
    rows), the rows holding the values themselves (None where missing) for the caller to format."""
    from aetui.core.analysis.evaluation import METRICS
    from aetui.core.families.registry import figure_keys

    kinds = {s.meta.kind for s in trials}
    figures = [final_figures(s) for s in trials]
    known = set().union(*figures) if figures else set()
    stats = list(dict.fromkeys(k for kind in sorted(kinds) for k in figure_keys(kind)))
    evaluated = [k for k in METRICS if k in known and k not in stats]
    ranks = [rank.KEYS[by] for by in rank.CHOICES]
    evaluated = [k for k in evaluated if k not in rank.EVALUATED.values()]  # (in the ranking columns already)
    columns = [*grid, "status", "epochs", *ranks, "val_loss", "loss", *stats, *evaluated]
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
