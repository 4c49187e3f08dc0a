"""`session.json` as a typed record, read, checked and written here and nowhere else.

A session folder may have been written by another version of aetui, by someone else, or by
nobody sane: every field is checked for its type when read (a wrong one is one clear error naming
it), and keys this version does not know are kept as they were when the record is written back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from aetui.core.errors import AetuiError
from aetui.core.text import printable_data

FORMAT = 1
"""The session format this version writes and reads."""
STATUSES = ("running", "finished", "stopped", "diverged", "failed", "interrupted", "killed")


@dataclass
class SessionMeta:
    """What a session is (recipe, data, settings) and where it stands (status, epochs, best loss)."""

    name: str = ""
    format: int = FORMAT
    status: str = "running"
    """As written; `Session.status` reads a `running` one whose writer is gone as `killed`."""
    reason: str = ""
    recipe: dict = field(default_factory=dict)
    """The recipe's data (`Recipe.to_dict`), from which the model is rebuilt."""
    params: dict = field(default_factory=dict)
    """The hyperparameters in force at the end of the last saved epoch."""
    dataset: dict = field(default_factory=dict)
    """`Dataset.describe()`: name, source, image shape, sizes, class counts."""
    epochs: int = 0
    """The number of epochs the run aims at."""
    epochs_done: int = 0
    batch_size: int = 0
    best_val_loss: float | None = None
    last_epoch: dict | None = None
    """The last completed epoch's ranking figures and objective (`ranking.last_epoch_record`)."""
    device: str = ""
    strategy: str | None = None
    versions: dict = field(default_factory=dict)
    parts: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    """What each recorded figure is, in words, with the real counts (`conventions.figures`)."""
    created: str = ""
    updated: str = ""
    pid: int | None = None
    host: str = ""
    resumes: int = 0
    keep: str = ""
    """Which epochs' weights stay besides the last and those before a change: `all`, `every:K`."""
    parent: dict | None = None
    """A rerun's or a branch's origin: `name`, `how` (`rerun`, `branch`) and, for a branch, `epoch`."""
    sweep: dict | None = None
    """For a sweep's trial: the sweep's name, the trial's number and its grid values."""
    extra: dict = field(default_factory=dict)
    """Keys this version does not know, kept as they were."""

    @property
    def recipe_name(self) -> str:
        return str(self.recipe.get("name", "?"))

    @property
    def kind(self) -> str:
        """The model family (`ae`, `sparse`, `nonneg`, `vae`, `aae`)."""
        return str(self.recipe.get("kind", "ae"))

    @property
    def description(self) -> str:
        return str(self.recipe.get("description", ""))

    def recipe_section(self, name: str) -> dict:
        """One `[section]` of the recipe's data (`net`, `loss`, `train`, `snapshot`); {} where the
        record has none."""
        section = self.recipe.get(name)
        return section if isinstance(section, dict) else {}

    @property
    def dataset_name(self) -> str:
        return str(self.dataset.get("name", "?"))

    @property
    def class_counts(self) -> list[int] | None:
        """Training images per class (None where the record does not say, or says nonsense)."""
        counts = self.dataset.get("class_counts")
        if isinstance(counts, list) and counts and all(
                isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts) and sum(counts):
            return counts
        return None

    @property
    def image_shape(self) -> tuple[int, int] | None:
        """The images' height and width the session was trained on (None where the record does not
        say, or says nonsense)."""
        shape = self.dataset.get("image_shape")
        if isinstance(shape, list) and len(shape) == 2 and all(
                isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 1 << 16 for v in shape):
            return (shape[0], shape[1])
        return None

    @property
    def train_images(self) -> int | None:
        """How many training images the run had (None where the record does not say)."""
        value = self.dataset.get("train")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def test_images(self) -> int | None:
        value = self.dataset.get("test")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def date(self) -> str:
        """When the session was made, as `YYYY-MM-DD HH:MM`."""
        return self.created[:16].replace("T", " ")

    @classmethod
    def from_json(cls, data: Any, where: str, printable: bool = False) -> SessionMeta:
        """The record `data` (parsed JSON) holds; an error naming the first field of a wrong type
        (`printable`: the caller saw that no string in it holds a character `printable` changes)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise AetuiError(f"{where}: not an aetui session of format {FORMAT}")
        if not printable:
            data = printable_data(data)  # (control characters and lone surrogates shown as U+FFFD)
        values = {}
        for name, kind in _FIELDS.items():
            if name not in data:
                continue
            value = data[name]
            if not _fits(value, kind):
                raise AetuiError(f"{where}: {name} is {_kind(value)}, not {kind.replace(' | None', ' or null')}")
            values[name] = value
        if any(not _fits(v, "float") for v in values.get("params", {}).values()):
            raise AetuiError(f"{where}: params must map each hyperparameter to a number")
        if values.get("status", "running") not in STATUSES:
            raise AetuiError(f"{where}: status {values['status']!r} is none of {', '.join(STATUSES)}")
        for key in ("epochs", "epochs_done", "batch_size", "resumes"):
            if values.get(key, 0) < 0:
                raise AetuiError(f"{where}: {key} is negative")
        best = values.get("best_val_loss")
        if best is not None and not math.isfinite(best):
            values["best_val_loss"] = None
        return cls(**values, extra={k: v for k, v in data.items() if k not in _FIELDS})

    def to_json(self) -> dict:
        """The record as JSON-ready data (unknown keys first, as they were)."""
        out = dict(self.extra)
        out.update({f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"})
        return out


_FIELDS = {f.name: f.type for f in fields(SessionMeta) if f.name != "extra"}
"""Each field the record may hold, and its type."""
BIGGEST_INT = 2**53
"""The largest whole number a record's counts may hold (any larger is no count of epochs or steps)."""


def number(value: Any) -> bool:
    """A JSON number a float holds (JSON's integers may be any size; NaN and infinities pass, as
    the history writes them)."""
    if type(value) is float:  # (the common case, first)
        return True
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _fits(value: Any, annotation: str) -> bool:
    """Whether a JSON value has the type a field declares (`int`, `float | None`, `dict`, ...)."""
    if value is None:
        return annotation.endswith("| None")
    kind = annotation.split(" |")[0]
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= BIGGEST_INT
    if kind == "float":
        return number(value)
    return isinstance(value, {"str": str, "dict": dict, "list": list}[kind])
