"""The caps on a session's files, each derived from what a legitimate run can write: no cap refuses
a session aetui made, and none lets a file grow without bound (a reader refuses a larger file
unread; the writer never appends past a cap, the run stops saying so).

- `history.jsonl`: the most epochs a run may have (`--epochs`, at most 100,000) times the room an
  epoch takes at its largest: its record (every loss part any family logs and its `val_` twin,
  every statistic, the timing, each number at its longest) and `CHANGES_PER_EPOCH` live changes
  or pauses, plus room for the run's starts, resumes and end.
- `session.json`: the record at its largest (the longest recipe name, description and layer list
  a recipe may have, 65,536 classes' counts, the longest data path, the longest reason).
- `evals/`: an evaluation at its largest (a KL figure for each of 65,536 code units).
- `fixed.npz`, snapshots and weights: ceilings; a run whose files would pass one is refused before
  its session exists (`check_run`), naming the setting to lower.
"""

from __future__ import annotations

import json

from aetui.core import events
from aetui.core.errors import AetuiError
from aetui.core.hparams import HPARAMS, RUN_SETTINGS, SCHEDULE_ENTRIES
from aetui.core.recipe import MAX_DESCRIPTION as DESCRIPTION, MAX_LAYERS as LAYERS, MAX_NAME as NAME, \
    MAX_UNITS as UNITS

MB = 1 << 20
EPOCHS = int(RUN_SETTINGS["epochs"].high)
LONGEST = -1.7976931348623157e308
"""The longest number JSON holds (24 characters); a count is at most 2**53 (16 digits)."""
BIGGEST = 2**53
LOSS_PARTS = ("recon", "l1", "sparsity", "l2", "nonneg", "kl", "disc", "gen", "disc_acc", "sparsity_epoch")
"""Every loss part or figure a family logs beside `loss` (tests/test_caps.py checks each family's)."""
STATISTICS = ("mean_activation", "near_zero", "l0", "first_two_zero", "disc_acc", "test_bce_pixel",
              "test_bce_image", "test_mse_pixel", "test_mse_image")
COUNTS = ("dead_units", "units", "active_units", "train_images", "test_images")
SWEEP_WORDS = 64
"""The longest description of a latent sweep's plane (`latent.SweepPlane.how`)."""
CHANGES_PER_EPOCH = 4
"""Live changes and pauses recorded per epoch, on average over the whole run, that the history
has room for (a slider dragged through every epoch of a fast run records about one an epoch)."""
CLASSES = 65_536
"""Labels are class numbers below this (`data.MAX_CLASSES`)."""
REASON = 2000
"""The longest reason a run's end records (`events.TrainingFinished.reason`, cut to this)."""
PATH = 4096
"""The longest data path (PATH_MAX bytes)."""
TEXT = 12
"""Bytes one character may take in JSON (a character beyond U+FFFF is two escapes, `\\ud83d\\ude00`)."""


def _line(event) -> int:
    return len(json.dumps(events.to_record(event), allow_nan=True)) + 1


EPOCH_RECORD = _line(events.EpochEnded(
    EPOCHS, BIGGEST, {k: LONGEST for p in ("loss", *LOSS_PARTS) for k in (p, f"val_{p}")},
    {**{k: LONGEST for k in STATISTICS}, **{k: BIGGEST for k in COUNTS}, "sweep": "x" * SWEEP_WORDS},
    LONGEST, LONGEST, {k: LONGEST for k in ("train", *events.TIMING)}, True))
"""The longest line an epoch's record can be."""
CHANGE_RECORD = _line(events.HParamChanged(max(HPARAMS, key=len), LONGEST, LONGEST, EPOCHS, BIGGEST,
                                           "x" * events.ORIGIN))
END_RECORD = _line(events.TrainingFinished("interrupted", "x" * REASON * TEXT, BIGGEST, BIGGEST))
RUN_ROOM = 16 * MB
"""Starts, resumes and ends of a run (each well under 64 KB)."""
HISTORY = EPOCHS * (EPOCH_RECORD + CHANGES_PER_EPOCH * CHANGE_RECORD) + RUN_ROOM
END_ROOM = END_RECORD
"""Kept free for the run's last record: every other record stops this far below `HISTORY`."""


def largest_record() -> dict:
    """`session.json` at its largest (tests/test_caps.py checks a real one has no other key)."""
    text = "x" * TEXT
    recipe = {"name": text * NAME, "description": text * DESCRIPTION, "kind": "nonneg",
              "net": {"hidden": [UNITS] * LAYERS, "code": UNITS, "code_activation": "sigmoid"},
              "loss": {k: "x" * 8 for k in ("reconstruction", "reduction", "sparsity", "kl_reduction",
                                            "l1_reduction", "nonneg", "prior")},
              "train": {k: BIGGEST for k in ("batch_size", "epochs", "seed", "steps_per_execution", "jit_compile",
                                             "optimizer")},
              "snapshot": {k: BIGGEST for k in ("panel", "subset", "sweep")}, "params": dict.fromkeys(HPARAMS, LONGEST),
              "schedule": [{"epoch": BIGGEST, **dict.fromkeys(HPARAMS, LONGEST)}] * SCHEDULE_ENTRIES}
    dataset = {"name": text * PATH, "source": text * PATH, "image_shape": [BIGGEST, BIGGEST], "train": BIGGEST,
               "test": BIGGEST, "classes": BIGGEST, "class_counts": [BIGGEST] * CLASSES}
    record = {"name": text * 80, "format": 1, "status": "interrupted", "reason": text * REASON, "recipe": recipe,
              "params": dict.fromkeys(HPARAMS, LONGEST), "dataset": dataset, "epochs": BIGGEST, "epochs_done": BIGGEST,
              "batch_size": BIGGEST, "best_val_loss": LONGEST, "device": text * 256, "strategy": "mirrored",
              "versions": {k: text * 64 for k in ("aetui", "python", "numpy", "keras", "tensorflow")},
              "parts": list(LOSS_PARTS), "created": text * 32, "updated": text * 32, "pid": BIGGEST,
              "host": text * 255, "resumes": BIGGEST, "keep": "every:" + text * 20,
              "parent": {"name": text * 80, "how": "branch", "epoch": BIGGEST},
              "sweep": {"name": text * 80, "trial": BIGGEST, "params": dict.fromkeys(HPARAMS, LONGEST)},
              "figures": {f"val_{k}": text * 400 for k in ("loss", *LOSS_PARTS, *STATISTICS)},
              "last_epoch": {"epoch": BIGGEST, **{k: LONGEST for k in ("val_loss", *STATISTICS)}}}
    return record


def indented_length(value, depth: int = 0) -> int:
    """`len(json.dumps(value, indent=1))` for `value` at `depth`, counted without writing it out
    (`indent` takes json's pure-Python encoder: about 40 ms for the largest record, at every start).
    Each item of a non-empty list or object goes on a line of its own, after d + 1 spaces, and its
    end after d; a list of one object repeated (`[x] * n`) is counted from one item."""
    if not isinstance(value, (dict, list)) or not value:
        return len(json.dumps(value))
    if isinstance(value, dict):
        inner = sum(len(json.dumps(k)) + 2 + indented_length(v, depth + 1) for k, v in value.items())
    elif all(item is value[0] for item in value):
        inner = len(value) * indented_length(value[0], depth + 1)
    else:
        inner = sum(indented_length(item, depth + 1) for item in value)
    return inner + len(value) * (depth + 3) + depth + 2


META = 2 * indented_length(largest_record())
"""Twice the longest record (room for keys a later aetui adds)."""
EVALS = 2 * (UNITS * len(json.dumps(LONGEST)) + 64 * 1024)
"""Twice an evaluation at its largest: a KL figure per code unit, twenty figures, a histogram."""
FIXED = 64 * MB
SNAPSHOT = 64 * MB
WEIGHTS = 2048 * MB
ARRAY = 256 * MB
"""The most bytes one array of a snapshot may take once inflated."""


def check_run(recipe, input_dim: int, test_images: int, weights: int) -> None:
    """An error, before a session exists, where the files a run of `recipe` on images of
    `input_dim` pixels (`test_images` of them in the test set), with `weights` weights
    (`families.weight_count`), writes would pass their caps."""
    net, snap = recipe.net, recipe.snapshot
    code = net["code"]
    subset, panel, sweep = min(snap["subset"], test_images), min(snap["panel"], test_images), snap["sweep"] ** 2
    codes = subset * code * 2  # float16, and as much again for a VAE's log-variances
    images = panel * (2 if "noise" in recipe.params else 1)  # (reconstructions, and a denoiser's noisy inputs)
    files = {"fixed.npz": (panel * input_dim + 16 * subset + 8 * panel, FIXED, "[snapshot] panel or subset"),
             "a snapshot": (images * input_dim + sweep * input_dim + 2 * codes + 40 * code, SNAPSHOT,
                            "[snapshot] subset, panel or sweep, or [net] code"),
             "one array of a snapshot": (max(codes, sweep * input_dim), ARRAY, "[snapshot] subset or sweep"),
             "the weights": (3 * 4 * weights, WEIGHTS, "[net] hidden or code")}
    for what, (size, cap, change) in files.items():
        if size > cap:
            raise AetuiError(f"{recipe.name}: {what} of this run would take {size / MB:,.0f} MB, over the "
                             f"{cap / MB:,.0f} MB such a file may be: lower {change}")
