"""Which figure ranks sessions, in one place: home, compare, the sweep table, `aetui ls`,
`aetui sweep` and `make reproduce` ask here.

The families minimise different objectives (a binary cross-entropy summed over an image, a
per-pixel mean squared error, either plus `beta` times a penalty), so no objective ranks
sessions of different families. Every session records, at each epoch's validation, its test
reconstruction error in units that depend on no family: squared error and binary cross-entropy
per pixel, pixels in [0, 1], over the whole test set (the VAE's through its posterior mean);
`aetui eval` computes both as well. Sessions rank by the figure of their last completed epoch,
lowest first: per-pixel MSE unless the user picks BCE. A session recorded before these figures has
none (a dash, ranked last) until `aetui eval` fills it in. Each session's own objective is shown
beside the figure and ranks only sessions whose loss is the same (`objectives_comparable`).

Plain Python: no Keras, no UI.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

CHOICES = ("mse", "bce")
"""What the user may rank by (`--rank-by`, a key where there is a table)."""
DEFAULT = "mse"
KEYS = {"mse": "test_mse_pixel", "bce": "test_bce_pixel"}
"""The figure each choice names, as the history's epochs record it."""
EVALUATED = {"mse": "mse_pixel", "bce": "bce_pixel"}
"""The same figure as `aetui eval` stores it."""
LABELS = {"mse": "test MSE/pixel", "bce": "test BCE/pixel"}
"""The figure's name where it heads a column."""
MEANINGS = {"mse": "squared error per pixel", "bce": "binary cross-entropy per pixel (nats)"}
OBJECTIVE = "val_loss"
"""Each session's own objective on the test set, shown beside the figure."""
OBJECTIVE_PARTS = frozenset({"loss", "recon", "sparsity", "l1", "l2", "kl", "nonneg", "disc", "gen"})
"""The parts of the families' objectives (as the history names them, `val_` for the test set's)."""
NOT_FIGURES = frozenset({"units", "train_images", "test_images"})
"""Numbers an epoch records that rank nothing (sizes)."""


def choice(by: str | None) -> str:
    """`by` checked (a ValueError names the choices), or the default."""
    if by is None:
        return DEFAULT
    if by not in CHOICES:
        raise ValueError(f"rank by {' or '.join(CHOICES)}, not {by!r}")
    return by


def describe(by: str = DEFAULT) -> str:
    """What the figure is, in words, for a caption."""
    return (f"{LABELS[by]}: {MEANINGS[by]} over the whole test set, pixels in [0, 1], at the last epoch "
            "(the VAE's through its posterior mean); lowest first")


def value(figures: dict, by: str = DEFAULT) -> float | None:
    """The ranking figure among a session's `figures` at an epoch (the history's, else `aetui eval`'s)."""
    for key in (KEYS[by], EVALUATED[by]):
        found = figures.get(key)
        if _number(found):
            return float(found)
    return None


def completed(figures: dict) -> dict:
    """`figures` with the ranking figures filled in from `aetui eval`'s where the history lacks them."""
    out = dict(figures)
    for by in CHOICES:
        found = value(figures, by)
        if found is not None:
            out[KEYS[by]] = found
    return out


def last_epoch_record(epoch: int, logs: dict, stats: dict) -> dict:
    """What a session's record keeps of its last completed epoch, for listings that read the record
    alone: the ranking figures and the objective."""
    record = {"epoch": epoch}
    if _number(logs.get(OBJECTIVE)):
        record[OBJECTIVE] = float(logs[OBJECTIVE])
    for by in CHOICES:
        found = value(stats, by)
        if found is not None:
            record[KEYS[by]] = found
    return record


def of_record(last_epoch: dict | None, epochs_done: int, by: str = DEFAULT) -> float | None:
    """The ranking figure a session's record keeps (None where it keeps none of its last epoch)."""
    if not isinstance(last_epoch, dict) or last_epoch.get("epoch") != epochs_done:
        return None
    return value(last_epoch, by)


def objective_of_record(last_epoch: dict | None, epochs_done: int) -> float | None:
    """The session's own validation objective at its last epoch, as its record keeps it."""
    if not isinstance(last_epoch, dict) or last_epoch.get("epoch") != epochs_done:
        return None
    found = last_epoch.get(OBJECTIVE)
    return float(found) if _number(found) else None


def ranked(items: Sequence[T], values: Sequence[float | None]) -> list[T]:
    """`items` best first by their `values` (lowest first), those without one last, each group in
    the order given."""
    order = sorted(range(len(items)), key=lambda i: (values[i] is None, values[i] or 0.0, i))
    return [items[i] for i in order]


def is_objective(key: str) -> bool:
    """Whether `key` names a family's own objective or a part of it (ranking by it is fair only
    between sessions whose objectives are the same)."""
    return key.removeprefix("val_").removesuffix("_epoch") in OBJECTIVE_PARTS


def objectives_comparable(recipes: Sequence[dict]) -> bool:
    """Whether sessions with these recipes (their stored data) minimise the same objective: the same
    family and the same `[loss]` conventions (their values, e.g. `beta`, may differ)."""
    kinds = {(str(r.get("kind")), repr(sorted((r.get("loss") or {}).items()))) for r in recipes}
    return len(kinds) <= 1


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def family_tree(items: Sequence[T], name_of, parent_of) -> list[tuple[T, int]]:
    """`items` in their order, each rerun or branch moved under its parent (in the same order
    among its siblings), with its depth; one whose parent is not among `items` stays where it is."""
    parents = [parent_of(item) for item in items]
    if not any(parents):  # (no rerun or branch: the order as it is, cheap for 20,000 sessions)
        return [(item, 0) for item in items]
    names = {name_of(item) for item in items}
    children: dict[str, list[T]] = {}
    roots = []
    for item, parent in zip(items, parents):
        if parent and parent in names and parent != name_of(item):
            children.setdefault(parent, []).append(item)
        else:
            roots.append(item)
    out: list[tuple[T, int]] = []
    seen: set[str] = set()

    def place(item: T, depth: int) -> None:
        if name_of(item) in seen:  # (a loop of parents in hand-edited records: each once)
            return
        seen.add(name_of(item))
        out.append((item, depth))
        for child in children.get(name_of(item), []):
            place(child, depth + 1)

    for item in roots:
        place(item, 0)
    for item in items:  # (only in a loop of parents, none of which is a root)
        place(item, 0)
    return out


def lineage_label(parent: object) -> str:
    """How a session was made from its parent (under which a tree shows it), in a word or two:
    `rerun`, `branch @3` (from the parent's epoch 3); '' for none."""
    if not isinstance(parent, dict) or not isinstance(parent.get("name"), str):
        return ""
    epoch = parent.get("epoch")
    return str(parent.get("how", "from"))[:12] + (f" @{epoch}" if isinstance(epoch, int) else "")


def parent_name(session) -> str | None:
    """The name of the session `session` was rerun or branched from, if any."""
    parent = session.meta.parent
    return parent.get("name") if isinstance(parent, dict) and isinstance(parent.get("name"), str) else None
