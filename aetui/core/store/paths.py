"""Where things live: the recipe folders and the session store, and safe names inside them."""

from __future__ import annotations

import os
import re
from pathlib import Path

from aetui.core.errors import AetuiError

PACKAGE = Path(__file__).resolve().parents[2]


def builtin_recipes() -> Path:
    """The shipped recipes: `aetui/models` in an installed wheel, `models/` beside it in a checkout."""
    inside = PACKAGE / "models"
    return inside if inside.is_dir() else PACKAGE.parent / "models"


def user_recipes() -> Path:
    """Where recipes saved from the app go: the first `AETUI_MODELS` folder, else ~/.config/aetui/models."""
    given = [p for p in os.environ.get("AETUI_MODELS", "").split(os.pathsep) if p]
    if given:
        return Path(given[0])
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "aetui" / "models"


def recipe_dirs() -> list[Path]:
    """Recipe folders, later ones overriding earlier: shipped, `./models`, the user folder, `AETUI_MODELS`."""
    dirs = [builtin_recipes(), Path.cwd() / "models", user_recipes()]
    dirs += [Path(p) for p in os.environ.get("AETUI_MODELS", "").split(os.pathsep) if p]
    unique: list[Path] = []
    for folder in dirs:
        if folder.is_dir() and folder.resolve() not in [d.resolve() for d in unique]:
            unique.append(folder)
    return unique


def session_store(explicit: str | os.PathLike | None = None) -> Path:
    """The session store: `--sessions DIR`, else `AETUI_SESSIONS`, else `./sessions` (an error
    where that is a file, not a folder)."""
    store = Path(explicit or os.environ.get("AETUI_SESSIONS") or Path.cwd() / "sessions")
    if store.exists() and not store.is_dir():
        from aetui.core.errors import AetuiError

        raise AetuiError(f"the session store {store} is a file, not a folder: pass --sessions DIR with a folder")
    return store


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A session name made safe as one folder name: letters, digits, `.`, `_`, `-` only."""
    cleaned = _UNSAFE.sub("-", name.strip()).strip(".-")[:80]
    if not cleaned:
        raise AetuiError(f"session name {name!r} has no usable characters (use letters, digits, . _ -)")
    return cleaned


def inside(folder: Path, name: str) -> Path:
    """`folder/name` for a plain name, refusing anything that would leave `folder`."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or Path(name).is_absolute():
        raise AetuiError(f"{name!r} is not a plain name inside {folder}")
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise AetuiError(f"{name!r} is not a plain name inside {folder}")
    return path
