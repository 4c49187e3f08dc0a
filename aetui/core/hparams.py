"""The tunable hyperparameters: their meaning, valid ranges and slider ranges, declared once.

Every entry point (recipes, `--set`, the live controls, the TUI sliders) validates through
`HParam.check`, so a range is written here and nowhere else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from aetui.core.errors import AetuiError


@dataclass(frozen=True)
class HParam:
    """One tunable value: its valid range, and the range and scale a slider offers."""

    name: str
    """The key used in recipes, `--set` and session files."""
    help: str
    """One line saying what the value does."""
    low: float
    """Smallest valid value (see `low_open`)."""
    high: float = math.inf
    """Largest valid value (see `high_open`)."""
    low_open: bool = False
    """True if `low` itself is not allowed."""
    high_open: bool = False
    """True if `high` itself is not allowed."""
    log: bool = False
    """True if a slider should move on a log scale."""
    slider: tuple[float, float] = (0.0, 1.0)
    """The span a slider covers; exact entry may go beyond it within the valid range."""
    integer: bool = False
    """True for whole numbers (epochs, batch size)."""
    short: str = ""
    """The name the screens show where room is short (`lr`), accepted wherever `name` is."""

    @property
    def label(self) -> str:
        """The name as the screens show it: the short one, where there is one."""
        return self.short or self.name

    def describe_range(self) -> str:
        """The valid range in words, e.g. `0 < p < 1`."""
        left = f"{self.low:g} {'<' if self.low_open else '<='} " if self.low > -math.inf else ""
        right = f" {'<' if self.high_open else '<='} {self.high:g}" if self.high < math.inf else ""
        return f"{left}{self.name}{right}"

    def check(self, value: object) -> float:
        """Return `value` as a float if it is valid, else raise `AetuiError` saying why."""
        if isinstance(value, bool):
            raise AetuiError(f"{self.name} must be a number, not {short_repr(value)}")
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise AetuiError(f"{self.name} must be a number, got {short_repr(value)}") from None
        elif isinstance(value, (int, float)):
            try:
                number = float(value)
            except OverflowError:  # a whole number beyond any float (e.g. 10**400 in a recipe)
                raise AetuiError(f"{self.name} = {short_repr(value)} is far out of range "
                                 f"(valid: {self.describe_range()})") from None
        else:
            raise AetuiError(f"{self.name} must be a number, got {short_repr(value)}")
        if not math.isfinite(number):
            raise AetuiError(f"{self.name} must be finite, got {short_repr(value)} (valid: {self.describe_range()})")
        if self.integer and not number.is_integer():
            raise AetuiError(f"{self.name} must be a whole number, got {short_repr(value)}")
        too_low = number <= self.low if self.low_open else number < self.low
        too_high = number >= self.high if self.high_open else number > self.high
        if too_low or too_high:
            raise AetuiError(f"{self.name} = {number:g} is out of range (valid: {self.describe_range()})")
        return number + 0.0  # -0.0 becomes 0.0


def short_repr(value: object) -> str:
    """`value` as a message shows it: its repr, shortened to one short line."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:18]}...{text[-18:]}"


HPARAMS: dict[str, HParam] = {
    spec.name: spec
    for spec in (
        HParam("beta", "weight of the KL term (VAE) or of the KL sparsity penalty", low=0.0,
               slider=(0.0, 10.0)),
        HParam("p", "target mean activation of each code unit (KL sparsity)", low=0.0, high=1.0,
               low_open=True, high_open=True, log=True, slider=(0.001, 0.9)),
        HParam("lam", "weight of the L1 activity penalty on the code", low=0.0, log=True,
               slider=(1e-9, 1e-2)),
        HParam("weight_decay", "weight of the L2 penalty on the kernels (Keras l2: wd * sum w^2)",
               low=0.0, log=True, slider=(1e-6, 1e-1), short="wd"),
        HParam("alpha", "weight of the soft penalty on negative weights (alpha/2 * sum min(w,0)^2)",
               low=0.0, log=True, slider=(1e-4, 10.0)),
        HParam("noise", "denoising: the standard deviation of Gaussian noise added to each input image, "
               "clipped to [0, 1]; the loss, and validation, compare the reconstruction with the clean image",
               low=0.0, high=1.0, slider=(0.0, 0.9)),
        HParam("learning_rate", "optimizer step size", low=0.0, low_open=True, high=10.0,
               log=True, slider=(1e-5, 1e-1), short="lr"),
    )
}


RUN_SETTINGS: dict[str, HParam] = {
    spec.name: spec
    for spec in (
        HParam("epochs", "passes over the training set", low=1, high=100_000, integer=True, slider=(1, 200)),
        HParam("batch_size", "images per gradient step", low=1, high=65_536, integer=True, log=True,
               slider=(8, 2048), short="batch"),
    )
}
"""Settings fixed once a run starts (`--epochs`, `--batch-size`, the sliders before start)."""


def check_settings(**values: object) -> None:
    """Run settings (`epochs=`, `batch_size=`), where given (not None), within their ranges."""
    for key, value in values.items():
        if value is not None:
            RUN_SETTINGS[key].check(value)


SHORT = {spec.short: spec.name for spec in HPARAMS.values() if spec.short}
"""Each short name (`lr`, `wd`) and the name it stands for."""


def spec(name: str, allowed: tuple[str, ...] | None = None) -> HParam:
    """The spec of hyperparameter `name` (or its short name, `lr`); `allowed` limits it to those a
    model uses."""
    known = allowed if allowed is not None else tuple(HPARAMS)
    name = SHORT.get(name, name)
    if name not in HPARAMS or name not in known:
        said = ", ".join(f"{k} ({HPARAMS[k].short})" if k in HPARAMS and HPARAMS[k].short else k for k in known)
        raise AetuiError(f"unknown hyperparameter {short_repr(name)} (this model tunes: {said})")
    return HPARAMS[name]


def parse_assignments(items: list[str], allowed: tuple[str, ...]) -> dict[str, float]:
    """Parse `key=value` strings (from `--set`) into validated values."""
    values: dict[str, float] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or not raw.strip():
            raise AetuiError(f"--set {item!r}: write it as key=value, e.g. --set beta=3")
        found = spec(key, allowed)
        values[found.name] = found.check(raw)
    return values


SCHEDULE_ENTRIES = 100
"""The most entries a recipe's `[[schedule]]` may have (`store.caps` sizes `session.json` from it)."""


def key_name(key: object) -> str:
    """A key as a message shows it: as written when it is a plain TOML key, else quoted (one line, short)."""
    import re

    return key if isinstance(key, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,40}", key) else short_repr(key)


def check_schedule(raw: object, allowed: tuple[str, ...], fail) -> tuple[dict, ...]:
    """A recipe's `[[schedule]]` checked: each entry says when (`epoch = N`: from that epoch's first
    batch, or `step = S`: from that global step, counting from 0) and which values to set; an entry
    outside a setting's range, or naming one the model does not tune, is refused, naming the entry."""
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise fail("schedule", "must be [[schedule]] tables, each with epoch = N (or step = S) and values, "
                               "e.g. beta = 1")
    if len(raw) > SCHEDULE_ENTRIES:
        raise fail("schedule", f"has {len(raw)} entries; at most {SCHEDULE_ENTRIES}")
    entries = []
    for n, entry in enumerate(raw, 1):
        where = f"[[schedule]] entry {n}"
        when = [k for k in ("epoch", "step") if k in entry]
        if len(when) != 1:
            raise fail(where, "say when, with epoch = N or step = S (one of the two)")
        at, least = entry[when[0]], 1 if when[0] == "epoch" else 0
        if not isinstance(at, int) or isinstance(at, bool) or not least <= at <= 2**31:
            raise fail(f"{where} {when[0]}", f"must be a whole number from {least}")
        values = {}
        for key, value in entry.items():
            if key in ("epoch", "step"):
                continue
            if key not in allowed:
                raise fail(f"{where} {key_name(key)}", f"not used by this model (it tunes: {', '.join(allowed)})")
            if isinstance(value, str):
                raise fail(f"{where} {key}", f"must be a number, got the text {short_repr(value)}")
            try:
                values[key] = HPARAMS[key].check(value)
            except AetuiError as err:
                raise fail(f"{where} {key}", str(err)) from None
        if not values:
            raise fail(where, "sets nothing: add a value, e.g. beta = 1")
        entries.append({when[0]: at, **values})
    return tuple(entries)


def schedule_steps(schedule, steps_per_epoch: int) -> list[tuple[int, dict[str, float]]]:
    """A checked schedule as (global step, values), an epoch counting from its first batch."""
    return [(e["step"] if "step" in e else (e["epoch"] - 1) * steps_per_epoch,
             {k: v for k, v in e.items() if k not in ("epoch", "step")}) for e in schedule]
