"""A sweep's trials as the views show them: their sessions, progress, values and ranking (plain data)."""

from __future__ import annotations

import math
from pathlib import Path

from aetui.core.errors import AetuiError
from aetui.core.sweep import Sweep


def final_figures(session) -> dict[str, float]:
    """A trial's last epoch: losses and statistics (empty if it has none)."""
    if not session.epochs:
        return {}
    last = session.epochs[-1]
    return {**{k: v for k, v in last.logs.items() if isinstance(v, (int, float)) and math.isfinite(v)},
            **{k: v for k, v in last.stats.items() if isinstance(v, (int, float))}}


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


def ranking(trials: list, grid: list[str]) -> tuple[list[str], list[list[str]]]:
    """The sweep table: a row per trial with its grid values (which name its session), status,
    epochs, final losses and statistics, best final validation loss first; (columns, rows), the
    rows holding the values themselves (None where missing) for the caller to format."""
    from aetui.core.analysis.sparsity import figure_keys

    kinds = {s.meta.kind for s in trials}
    figures = list(dict.fromkeys(k for kind in sorted(kinds) for k in figure_keys(kind)))
    columns = [*grid, "status", "epochs", "val_loss", "loss", *figures]
    scored = []
    for s in trials:
        values = trial_values(s)
        last = final_figures(s)
        val = last.get("val_loss", math.inf)
        row = [values.get(g) for g in grid]
        row += [s.status, s.epochs_done, last.get("val_loss"), last.get("loss")]
        row += [last.get(f) for f in figures]
        scored.append((val, row))
    return columns, [row for _, row in sorted(scored, key=lambda item: item[0])]


def trial_values(session) -> dict[str, float]:
    """The grid values a trial session was run with (empty if its record is damaged)."""
    found = session.meta.sweep
    values = found.get("params") if isinstance(found, dict) else None
    if not isinstance(values, dict):
        return {}
    return {k: v for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
