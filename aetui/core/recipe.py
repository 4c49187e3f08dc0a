"""Model recipes: TOML data naming a model kind, its layers, loss, optimizer and defaults.

The schema (`FIELDS`) is declared once here; recipes on disk and recipes stored in a session
both pass through `Recipe.from_dict`, so a session is rebuilt exactly as it was trained.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aetui.core.errors import AetuiError
from aetui.core.families.registry import KINDS, family
from aetui.core.hparams import HPARAMS, RUN_SETTINGS, check_schedule, key_name, short_repr
from aetui.core.text import printable

RECIPE_LIMIT = 1 << 20
"""The most bytes a recipe file may have."""
MAX_UNITS, MAX_LAYERS = 65_536, 100
MAX_NAME, MAX_DESCRIPTION = 255, 4096
"""The widest layer or code, the most hidden layers, the longest name (bytes) and description
(characters) a recipe may have (`store.caps` sizes the files of a run from them)."""



@dataclass(frozen=True)
class Field:
    """One recipe key: its type, default and allowed values."""

    type: type
    default: Any
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    """The largest whole number allowed: beyond it a value is a typo, or more than the machine can hold."""


FIELDS: dict[str, dict[str, Field]] = {
    "net": {
        "hidden": Field(list, [], maximum=MAX_UNITS),
        "code": Field(int, 32, minimum=1, maximum=MAX_UNITS),
        "code_activation": Field(str, "relu", ("relu", "sigmoid", "linear")),
    },
    "loss": {
        "reconstruction": Field(str, "bce", ("bce", "mse")),
        "reduction": Field(str, "mean", ("mean", "sum")),
        "sparsity": Field(str, "none", ("none", "l1", "kl")),
        "kl_reduction": Field(str, "sum", ("sum", "mean")),
        "l1_reduction": Field(str, "image", ("image", "batch")),
        "nonneg": Field(str, "hard", ("hard", "soft")),
        "prior": Field(str, "gaussian", ("gaussian", "mixture")),
    },
    "train": {
        "optimizer": Field(str, "adam", ("adam", "rmsprop", "sgd")),
        "batch_size": Field(int, 256, minimum=1, maximum=int(RUN_SETTINGS["batch_size"].high)),
        "epochs": Field(int, 10, minimum=1, maximum=int(RUN_SETTINGS["epochs"].high)),
        "seed": Field(int, 0, minimum=0, maximum=2**32 - 1),
        "steps_per_execution": Field(int, 8, minimum=1, maximum=100_000),
        "jit_compile": Field(bool, False),
        "keep": Field(str, ""),
    },
    "snapshot": {
        "panel": Field(int, 10, minimum=1, maximum=1000),
        "subset": Field(int, 1000, minimum=10, maximum=1_000_000),
        "sweep": Field(int, 10, minimum=2, maximum=100),
    },
}
"""Every recipe key by section. `[params]` holds hyperparameter defaults (see `hparams.HPARAMS`)."""


def tunables(kind: str, loss: dict[str, Any]) -> tuple[str, ...]:
    """The live hyperparameters of a model of `kind` with the given `[loss]` settings."""
    return ("learning_rate", *family(kind).tunables(loss))


@dataclass(frozen=True)
class Recipe:
    """A validated recipe. `params` holds a default for every tunable hyperparameter."""

    name: str
    description: str
    kind: str
    net: dict[str, Any]
    loss: dict[str, Any]
    train: dict[str, Any]
    snapshot: dict[str, Any]
    params: dict[str, float]
    schedule: tuple = ()
    """Changes planned ahead (`[[schedule]]`): `{"epoch": N or "step": S, name: value, ...}`."""
    source: str = field(default="", compare=False)
    """Where the recipe came from (a file path, or `session NAME`), for messages."""

    @property
    def tunables(self) -> tuple[str, ...]:
        """The hyperparameters that can change while this model trains."""
        return tuple(self.params)

    def to_dict(self) -> dict[str, Any]:
        """The recipe as plain data, the form stored in a session."""
        return {"name": self.name, "description": self.description, "kind": self.kind,
                "net": dict(self.net), "loss": dict(self.loss), "train": dict(self.train),
                "snapshot": dict(self.snapshot), "params": dict(self.params),
                **({"schedule": [dict(e) for e in self.schedule]} if self.schedule else {})}

    @classmethod
    def from_dict(cls, data: dict[str, Any], name: str, source: str) -> Recipe:
        """Validate plain data (parsed TOML or a session's copy) into a `Recipe`."""
        where = source or name

        def fail(key: str, reason: str) -> AetuiError:
            return AetuiError(f"{where}: {key}: {reason}")

        if not isinstance(data, dict):
            raise AetuiError(f"{where}: a recipe must be a table of keys")
        known = {"name", "description", "kind", "params", "schedule", *FIELDS}
        for key in data:
            if key not in known:
                raise fail(key_name(key), f"unknown key (expected: {', '.join(sorted(known))})")
        kind = data.get("kind")
        if kind is None:
            raise fail("kind", f"missing; say which model this is, one of {', '.join(KINDS)}")
        if kind not in KINDS:
            raise fail("kind", f"unknown model kind {short_repr(kind)} (one of {', '.join(KINDS)})")
        description = data.get("description", "")
        if not isinstance(description, str):
            raise fail("description", "must be a string")
        for key, text, most in (("description", description, MAX_DESCRIPTION), ("name", data.get("name", name),
                                                                               MAX_NAME)):
            if len(str(text)) > most:
                raise fail(key, f"must be at most {most:,} characters, not {len(str(text)):,}")
        description = printable(description)
        sections = {sec: _section(data.get(sec, {}), sec, fields, fail) for sec, fields in FIELDS.items()}
        family(kind).check(sections["loss"], sections["net"], fail)
        allowed = tunables(kind, sections["loss"])
        raw_params = data.get("params", {})
        if not isinstance(raw_params, dict):
            raise fail("[params]", "must be a table of hyperparameter = value")
        if "noise" in raw_params and family(kind).denoises:  # denoising: any family that takes it, when asked
            allowed = (*allowed, "noise")
        params: dict[str, float] = {}
        for key, value in raw_params.items():
            if key not in allowed:
                raise fail(f"[params] {key_name(key)}", f"not used by this model (it tunes: {', '.join(allowed)})")
            if isinstance(value, str):  # `--set` and the sliders give text; a recipe gives numbers
                raise fail(f"[params] {key}", f"must be a number, got the text {short_repr(value)} (drop the quotes)")
            try:
                params[key] = HPARAMS[key].check(value)
            except AetuiError as err:
                raise fail(f"[params] {key}", str(err)) from None
        missing = [key for key in allowed if key not in params]
        if missing:
            raise fail("[params]", f"give a default for {', '.join(missing)}")
        return cls(name=printable(str(data.get("name", name))), description=description, kind=kind,
                   params={key: params[key] for key in allowed}, source=source,
                   schedule=check_schedule(data.get("schedule", []), allowed, fail), **sections)


def _section(raw: Any, sec: str, fields: dict[str, Field], fail) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise fail(f"[{sec}]", "must be a table")
    for key in raw:
        if key not in fields:
            raise fail(f"[{sec}] {key_name(key)}", f"unknown key (expected: {', '.join(fields)})")
    out: dict[str, Any] = {}
    for key, spec in fields.items():
        value = raw.get(key, spec.default)
        label = f"[{sec}] {key}"
        if spec.type is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise fail(label, f"must be a whole number, got {short_repr(value)}")
        if spec.type is str and not isinstance(value, str):
            raise fail(label, f"must be a string, got {short_repr(value)}")
        if spec.type is bool and not isinstance(value, bool):
            raise fail(label, f"must be true or false, got {short_repr(value)}")
        if spec.type is list:
            if isinstance(value, list) and len(value) > MAX_LAYERS:
                raise fail(label, f"must be at most {MAX_LAYERS} layers, got {len(value):,}")
            if not isinstance(value, list) or not all(
                    isinstance(v, int) and not isinstance(v, bool) and 0 < v <= spec.maximum for v in value):
                raise fail(label, f"must be a list of positive layer sizes (each at most {spec.maximum}), "
                                  f"got {short_repr(value)}")
            value = list(value)
        if spec.choices and value not in spec.choices:
            raise fail(label, f"must be one of {', '.join(map(repr, spec.choices))}, got {short_repr(value)}")
        if spec.minimum is not None and value < spec.minimum:
            raise fail(label, f"must be at least {spec.minimum}, got {short_repr(value)}")
        if spec.type is int and spec.maximum is not None and value > spec.maximum:
            raise fail(label, f"must be at most {spec.maximum}, got {short_repr(value)}")
        out[key] = value
    if sec == "train":
        check_keep(out["keep"], "[train] keep", fail)
    return out


def keep_every(keep: str) -> int | None:
    """Every how many epochs a `keep` setting keeps one: 1 for `all`, K for `every:K`, else None."""
    if keep.startswith("every:") and keep[6:].isdigit() and int(keep[6:]) > 0:
        return int(keep[6:])
    return 1 if keep == "all" else None


def check_keep(keep: str | None, label: str = "--keep", fail=None) -> str:
    """A `keep` setting as given (empty: the epochs kept by default), or an error naming `label`
    (made by `fail(label, why)`, where given)."""
    if keep in (None, "") or keep_every(keep) is not None:
        return keep or ""
    why = "give all, or every:K (K a whole number from 1)"
    raise fail(label, f"{why}, got {short_repr(keep)}") if fail else AetuiError(f"{label} {short_repr(keep)}: {why}")


def load_file(path: Path) -> Recipe:
    """Read and validate one recipe file (a regular file of at most `RECIPE_LIMIT` bytes)."""
    from aetui.core.store.files import read_bytes

    try:
        data = tomllib.loads(read_bytes(path, RECIPE_LIMIT, str(path)).decode("utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise AetuiError(f"{path}: not valid TOML: {err}") from None
    except RecursionError:
        raise AetuiError(f"{path}: not valid TOML: nested too deeply") from None
    except (OSError, UnicodeDecodeError) as err:
        raise AetuiError(f"{path}: cannot read: {err}") from None
    return Recipe.from_dict(data, name=path.stem, source=str(path))


def discover(dirs: list[Path]) -> dict[str, Path]:
    """Recipe name to file over `dirs`; a later folder overrides an earlier one."""
    found: dict[str, Path] = {}
    for folder in dirs:
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                found[path.stem] = path
    return found


def find(name_or_path: str, dirs: list[Path]) -> Recipe:
    """Load a recipe by name (searched in `dirs`) or by the path of a `.toml` file."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise AetuiError(f"no recipe file at {name_or_path}")
        return load_file(path)
    found = discover(dirs)
    if name_or_path not in found:
        names = ", ".join(sorted(found)) or "none found"
        raise AetuiError(f"no recipe named {name_or_path!r} (available: {names}); see `aetui recipes`")
    return load_file(found[name_or_path])


def to_toml(data: dict[str, Any]) -> str:
    """A recipe dict as TOML text (top-level keys, then one table per section). Text is written as
    UTF-8 (never as JSON's surrogate escapes, which TOML refuses), with quotes, backslashes and
    control characters escaped, and a lone surrogate as U+FFFD."""
    def value(v: Any) -> str:
        if isinstance(v, str):
            text = v.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            return '"' + "".join(f"\\{c}" if c in '"\\' else f"\\u{ord(c):04x}" if c < " " or c == "\x7f" else c
                                 for c in text) + '"'
        return f"[{', '.join(value(x) for x in v)}]" if isinstance(v, list) else str(v).lower() \
            if isinstance(v, bool) else repr(v)

    lines = [f"{key} = {value(data[key])}" for key in ("description", "kind") if key in data]
    for section in (*FIELDS, "params"):
        if section in data:
            lines += ["", f"[{section}]"] + [f"{k} = {value(v)}" for k, v in data[section].items()]
    for entry in data.get("schedule", []):
        lines += ["", "[[schedule]]"] + [f"{k} = {value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def tuned(recipe: Recipe, name: str, params: dict[str, float], settings: dict[str, int]) -> dict[str, Any]:
    """The recipe's data with new defaults (`params`, and `settings` of `[train]`) under a new name,
    its description saying what was tuned: what the train screen saves as a recipe."""
    from aetui.core.store.paths import safe_name

    data = recipe.to_dict()
    data["params"] = dict(params)
    data["train"].update(settings)
    data["name"] = safe_name(name)
    said = " (tuned: " + ", ".join(f"{k}={v:g}" for k, v in params.items()) + ")"
    data["description"] = recipe.description[:MAX_DESCRIPTION - len(said)] + said
    return data


def save_user_recipe(data: dict[str, Any], folder: Path) -> Path:
    """Validate `data` and write it as `folder/NAME.toml`; refuses to overwrite."""
    from aetui.core.store.files import Folder

    name = data.get("name", "")
    body = {k: v for k, v in Recipe.from_dict(data, name=name, source=f"new recipe {name}").to_dict().items()
            if k != "name"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    try:  # (a new file: never over another, nor through a link)
        with Folder.open(folder, follow=True) as where:
            where.create(path.name, to_toml(body).encode("utf-8"))
    except FileExistsError:
        raise AetuiError(f"a recipe {path} exists already: choose another name") from None
    return path
