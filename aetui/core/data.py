"""Datasets: MNIST-style images as flat float32 vectors in [0, 1] with integer labels.

Sources: `mnist` and `fashion-mnist` through `keras.datasets`, the embedded `digits`
(scikit-learn's bundled 8x8 set), and `--data PATH` (a folder of IDX files or a Keras-style
`.npz`). `auto` picks MNIST when Keras has it or can fetch it, else `digits`, and says so.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from aetui.core import idx
from aetui.core.errors import AetuiError

if TYPE_CHECKING:
    import numpy as np

# numpy is imported inside the functions that need it: naming and checking datasets (the CLI,
# before the first frame) costs no numpy import.
NAMES = ("auto", "mnist", "fashion-mnist", "digits")
"""The dataset names `--dataset` accepts; `--data PATH` reads a folder or `.npz` instead."""

MAX_CLASSES = 65_536
"""Labels are class numbers below this (per-class counts are kept for every number up to the largest)."""


@dataclass
class Dataset:
    """Train and test images (N x D float32 in [0, 1]) with labels, and where they came from."""

    name: str
    source: str
    image_shape: tuple[int, int]
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    note: str = ""
    """A line for the user when `auto` had to fall back, else empty."""
    classes: int = field(init=False)

    def __post_init__(self) -> None:
        import numpy as np

        labels = np.concatenate([self.y_train, self.y_test])
        self.classes = int(labels.max()) + 1 if labels.size else 0

    @property
    def input_dim(self) -> int:
        """Pixels per image."""
        return int(self.x_train.shape[1])

    def class_counts(self) -> list[int]:
        """Training images per class (the seed printed these to show the digits are balanced)."""
        import numpy as np

        return np.bincount(self.y_train, minlength=self.classes).astype(int).tolist()

    def limited(self, train: int | None) -> Dataset:
        """The same data with only the first `train` training images (all if None)."""
        if train is None or train >= len(self.x_train):
            return self
        if train < 1:
            raise AetuiError("--limit must be at least 1")
        return Dataset(self.name, f"{self.source} (first {train} training images)", self.image_shape,
                       self.x_train[:train], self.y_train[:train], self.x_test, self.y_test, self.note)

    def describe(self) -> dict:
        """Plain facts about the data, as stored in a session."""
        return {"name": self.name, "source": self.source, "image_shape": list(self.image_shape),
                "train": len(self.x_train), "test": len(self.x_test), "classes": self.classes,
                "class_counts": self.class_counts()}


def loader(name: str = "auto", path: str | os.PathLike | None = None, limit: int | None = None) -> Callable[[], Dataset]:
    """A function that loads the data named by `--dataset`, `--data` and `--limit`, checked cheaply
    now (a bad name or path fails before anything loads; the path is kept absolute, as sessions
    record it for resuming)."""
    if path is not None and not Path(path).exists():
        raise AetuiError(f"--data {path}: no such file or folder")
    if name not in NAMES:
        raise AetuiError(f"unknown dataset {name!r} (one of {', '.join(NAMES)}, or --data PATH)")
    if limit is not None and limit < 1:
        raise AetuiError("--limit must be at least 1")
    where = None if path is None else Path(path).resolve()
    return lambda: load(name, where).limited(limit)


def load(name: str = "auto", path: str | os.PathLike | None = None) -> Dataset:
    """Load a dataset by name, or from `path` (which wins, as does `AETUI_DATA` for `auto`)."""
    if path is None and name == "auto" and os.environ.get("AETUI_DATA"):
        path = os.environ["AETUI_DATA"]
    if path is not None:
        return load_path(Path(path))
    if name not in NAMES:
        raise AetuiError(f"unknown dataset {name!r} (one of {', '.join(NAMES)}, or --data PATH)")
    if name == "digits":
        return _digits()
    if name == "auto":
        if _keras_cached("mnist") or _reachable(KERAS_HOST):
            try:
                return _keras("mnist", timeout=5.0)
            except AetuiError:
                pass
        data = _digits()
        data.note = ("MNIST is not cached and cannot be downloaded: using the embedded 8x8 "
                     "digits (pass --data PATH or set AETUI_DATA for real MNIST)")
        return data
    if not _keras_cached(name) and not _reachable(KERAS_HOST):
        raise AetuiError(_cannot_load(name, f"it is not in Keras's cache and {KERAS_HOST} cannot be reached"))
    return _keras(name, timeout=30.0)


def _cannot_load(name: str, why: str) -> str:
    """One line: why `name` cannot be loaded, and where its files go instead."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
    files = "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, " \
            "t10k-labels-idx1-ubyte.gz"
    where = ("apt-get install dataset-fashion-mnist and pass --data /usr/share/datasets/fashion-mnist"
             if name == "fashion-mnist" else f"put its IDX files ({files}) in a folder and pass --data FOLDER "
             f"(or set AETUI_DATA), or put mnist.npz in {home}")
    return f"cannot load {name}: {why}; {where}; or use --dataset digits"


def load_path(path: Path) -> Dataset:
    """Read a folder of MNIST-format IDX files, or a Keras-style `.npz`."""
    if not path.exists():
        raise AetuiError(f"--data {path}: no such file or folder")
    if path.is_dir():
        return _idx_folder(path)
    if path.suffix == ".npz":
        return _npz(path)
    raise AetuiError(f"--data {path}: expected a folder of IDX files or a .npz file")


def _finish(name: str, source: str, x_train, y_train, x_test, y_test) -> Dataset:
    """Check shapes and scale to float32 in [0, 1]; images may be N x H x W or N x D."""
    import numpy as np

    x_train, y_train, x_test, y_test = (np.asarray(a) for a in (x_train, y_train, x_test, y_test))
    for x, y, part in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if x.ndim < 2:
            raise AetuiError(f"{source}: {part} images must be N x H x W or N x D, got shape {x.shape}")
        if y.ndim != 1:
            raise AetuiError(f"{source}: {part} labels must be a list of N whole numbers, got shape {y.shape}")
        if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)
                or x.dtype == np.bool_):
            raise AetuiError(f"{source}: {part} images must be numbers, got {x.dtype} values")
        if len(x) != len(y):
            raise AetuiError(f"{source}: {len(x)} {part} images but {len(y)} labels")
        if len(x) == 0:
            raise AetuiError(f"{source}: the {part} set is empty")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise AetuiError(f"{source}: train images are {x_train.shape[1:]} but test images {x_test.shape[1:]}")
    if x_train.ndim == 3:
        shape = (int(x_train.shape[1]), int(x_train.shape[2]))
    elif x_train.ndim == 2:
        side = int(round(np.sqrt(x_train.shape[1])))
        shape = (side, side) if side * side == x_train.shape[1] else (1, int(x_train.shape[1]))
    else:
        raise AetuiError(f"{source}: images must be N x H x W or N x D, got shape {x_train.shape}")
    if 0 in x_train.shape[1:]:
        raise AetuiError(f"{source}: images have no pixels (shape {x_train.shape[1:]})")
    if np.issubdtype(x_train.dtype, np.floating) and not (np.isfinite(x_train).all() and np.isfinite(x_test).all()):
        raise AetuiError(f"{source}: images contain NaN or infinite values")
    scale = 255.0 if np.issubdtype(x_train.dtype, np.integer) or x_train.max(initial=0) > 1 else 1.0

    def flat(x):
        return (np.asarray(x, np.float32).reshape(len(x), -1) / scale).clip(0.0, 1.0)

    def labels(y):
        y = np.asarray(y)
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or (y.size and y.min() < 0):
            raise AetuiError(f"{source}: labels must be a list of non-negative whole numbers")
        if y.size and y.max() >= MAX_CLASSES:
            raise AetuiError(f"{source}: labels must be class numbers below {MAX_CLASSES}, found {int(y.max())}")
        return y.astype(np.int64)

    return Dataset(name, source, shape, flat(x_train), labels(y_train), flat(x_test), labels(y_test))


def _idx_folder(folder: Path) -> Dataset:
    try:
        entries = sorted(folder.iterdir())
    except OSError as err:
        raise AetuiError(f"--data {folder}: cannot list the folder: {err}") from None

    def pick(split_words: tuple[str, ...], kind: str) -> Path:
        hits = [p for p in entries
                if kind in p.name and any(w in p.name for w in split_words)
                and (p.name.endswith("ubyte") or p.name.endswith("ubyte.gz"))]
        if not hits:
            raise AetuiError(f"--data {folder}: no *{'|'.join(split_words)}*-{kind}-ubyte[.gz] file "
                             "(expected MNIST-format IDX files)")
        return hits[0]

    arrays = {}
    for split, words in (("train", ("train",)), ("test", ("t10k", "test"))):
        arrays[f"x_{split}"] = idx.read(pick(words, "idx3"), idx.IMAGES_MAGIC)
        arrays[f"y_{split}"] = idx.read(pick(words, "idx1"), idx.LABELS_MAGIC)
    name = "fashion-mnist" if "fashion" in str(folder.resolve()).lower() else "mnist"
    return _finish(name, str(folder), arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"])


def _npz(path: Path) -> Dataset:
    from aetui.core.store.files import read_bytes
    from aetui.core.store.npz import Arrays

    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        npz = Arrays(read_bytes(path, idx.DATA_LIMIT, f"--data {path}"), f"--data {path}", idx.DATA_LIMIT)
        missing = [k for k in keys if k not in npz]
        if missing:
            raise AetuiError(f"--data {path}: missing arrays {', '.join(missing)} (need {', '.join(keys)})")
        arrays = [npz[k] for k in keys]
    except AetuiError as err:
        raise AetuiError(str(err).replace(" holds Python objects (a pickle), which aetui never loads",
                                          " holds Python objects (a pickle): not a readable .npz")) from None
    return _finish(path.stem, str(path), *arrays)


def _digits() -> Dataset:
    import numpy as np
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x, y = bunch.images.astype(np.float32) / 16.0, bunch.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    test, train = order[:360], order[360:]
    return _finish("digits", "scikit-learn load_digits (embedded)", x[train], y[train], x[test], y[test])


KERAS_HOST = "storage.googleapis.com"
"""Where `keras.datasets` downloads from."""


def _keras_cached(name: str) -> bool:
    """True if `keras.datasets` has `name` in its cache (checked without importing Keras)."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    stem = {"mnist": "mnist", "fashion-mnist": "fashion-mnist"}[name]
    return any((home / "datasets").glob(f"{stem}*"))


def _reachable(host: str, timeout: float = 2.0) -> bool:
    """True if a TCP connection to `host` on port 443 opens within `timeout` seconds."""
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _keras(name: str, timeout: float) -> Dataset:
    """Load through `keras.datasets` (cache first; a download needs the network). TensorFlow's
    start-up chatter goes to its log and Keras's download progress nowhere: the terminal shows
    the data line, or one line saying why not."""
    import contextlib
    import importlib
    import io

    from aetui.core import backend

    module = {"mnist": "mnist", "fashion-mnist": "fashion_mnist"}[name]
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        backend.configure()  # (imports TensorFlow with its log lines sent to the log file)
        with contextlib.redirect_stdout(io.StringIO()), backend.stderr_to(backend.log_path()):
            loader = importlib.import_module(f"keras.datasets.{module}")
            (x_train, y_train), (x_test, y_test) = loader.load_data()
    except Exception as err:
        raise AetuiError(_cannot_load(name, f"keras.datasets failed ({type(err).__name__})")) from None
    finally:
        socket.setdefaulttimeout(old)
    return _finish(name, f"keras.datasets.{module}", x_train, y_train, x_test, y_test)
