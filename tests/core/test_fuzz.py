"""Property-based tests of the readers: broken IDX files, data archives, recipes and session folders
either load or are refused with `AetuiError`, the one exception meant for a person, and never
with any other.

Every example writes real files into a fresh temporary folder; sessions start as copies of one
written by the real writer (`synthetic_session`, no TensorFlow). The example database is off, so
nothing is written into the checkout.
"""

from __future__ import annotations

import gzip
import json
import math
import shutil
import struct
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from aetui.core import data, idx, recipe
from aetui.core.errors import AetuiError
from aetui.core.store import paths, sessions
from tests.support import make_idx_folder, synthetic_session

FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@contextmanager
def scratch():
    """A fresh temporary folder for one example."""
    with tempfile.TemporaryDirectory(prefix="aetui-fuzz-") as folder:
        yield Path(folder)


def loads_or_refuses(read, *args):
    """Call `read(*args)`: the result, or None when it was refused with `AetuiError`."""
    try:
        return read(*args)
    except AetuiError as err:
        message = str(err)
        assert message and "\n" not in message and "Traceback" not in message, message
        return None


# --- ways to damage bytes ------------------------------------------------------------------------

@st.composite
def damaged(draw, raw: bytes, flips: int = 4) -> bytes:
    """`raw` truncated, bit-flipped, overwritten, extended, spliced, or replaced by random bytes."""
    how = draw(st.sampled_from(("truncate", "flip", "overwrite", "append", "cut-middle", "random")))
    if how == "truncate":
        return raw[:draw(st.integers(0, max(len(raw) - 1, 0)))]
    if how == "flip":
        out = bytearray(raw)
        for at in draw(st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=flips)):
            out[at] ^= 1 << draw(st.integers(0, 7))
        return bytes(out)
    if how == "overwrite":
        at = draw(st.integers(0, len(raw)))
        chunk = draw(st.binary(min_size=1, max_size=16))
        return raw[:at] + chunk + raw[at + len(chunk):]
    if how == "append":
        return raw + draw(st.binary(min_size=1, max_size=64))
    if how == "cut-middle":
        start = draw(st.integers(0, len(raw)))
        return raw[:start] + raw[start + draw(st.integers(1, 64)):]
    return draw(st.binary(max_size=300))


# --- IDX files -------------------------------------------------------------------------------------

@st.composite
def idx_file(draw) -> tuple[int, bytes]:
    """A valid IDX image or label file (its magic number and bytes), small."""
    if draw(st.booleans()):
        magic, dims = idx.IMAGES_MAGIC, (draw(st.integers(0, 4)), draw(st.integers(0, 5)), draw(st.integers(0, 5)))
    else:
        magic, dims = idx.LABELS_MAGIC, (draw(st.integers(0, 6)),)
    payload = draw(st.binary(min_size=math.prod(dims), max_size=math.prod(dims)))
    return magic, struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in dims) + payload


DIMENSION = st.one_of(st.integers(0, 6), st.sampled_from((0, 1, 2**16, 2**21, 2**22, 2**31, 2**32 - 1)),
                      st.integers(0, 2**32 - 1))
"""An IDX dimension: small, an edge of the 32-bit range, or anything in it."""


@st.composite
def redimensioned(draw, raw: bytes) -> bytes:
    """`raw` with its dimensions (counts, rows, columns) replaced by any 32-bit numbers."""
    ndim = raw[3]
    dims = draw(st.lists(DIMENSION, min_size=ndim, max_size=ndim))
    return raw[:4] + b"".join(struct.pack(">I", n) for n in dims) + raw[4 + 4 * ndim:]


@FUZZ
@given(st.data(), idx_file(), st.sampled_from(("plain", "gz-then-damage", "damage-then-gz")),
       st.sampled_from(("damage", "redim", "wrong-magic")))
def test_idx_reader_loads_or_refuses(draw, original, packing, how):
    magic, raw = original
    if how == "redim":
        broken = draw.draw(redimensioned(raw))
    elif how == "wrong-magic":
        broken, magic = raw, idx.LABELS_MAGIC if magic == idx.IMAGES_MAGIC else idx.IMAGES_MAGIC
    elif packing == "gz-then-damage":
        broken = draw.draw(damaged(gzip.compress(raw, mtime=0)))
    else:
        broken = draw.draw(damaged(raw))
    if packing == "damage-then-gz" or (packing == "gz-then-damage" and how != "damage"):
        broken = gzip.compress(broken, mtime=0)
    with scratch() as folder:
        path = folder / ("file-idx-ubyte.gz" if packing != "plain" else "file-idx-ubyte")
        path.write_bytes(broken)
        array = loads_or_refuses(idx.read, path, magic)
    if array is not None:
        assert array.dtype == np.uint8 and array.ndim == (3 if magic == idx.IMAGES_MAGIC else 1)


@FUZZ
@given(st.sampled_from((idx.IMAGES_MAGIC, idx.LABELS_MAGIC)), st.lists(DIMENSION, min_size=3, max_size=3),
       st.integers(0, 100))
@example(idx.IMAGES_MAGIC, [2**22, 2**21, 2**21], 0)  # 2**64 bytes: np.prod wrapped it to 0
@example(idx.IMAGES_MAGIC, [0, 2**32 - 1, 2**32 - 1], 0)  # no bytes, yet no such array
@example(idx.IMAGES_MAGIC, [2**32 - 1, 2**32 - 1, 0], 0)
def test_idx_header_with_any_dimensions(magic, dims, payload):
    ndim = 3 if magic == idx.IMAGES_MAGIC else 1
    raw = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in dims[:ndim]) + bytes(payload)
    with scratch() as folder:
        (folder / "file-idx-ubyte").write_bytes(raw)
        array = loads_or_refuses(idx.read, folder / "file-idx-ubyte", magic)
    if array is not None:
        assert list(array.shape) == dims[:ndim] and math.prod(dims[:ndim]) <= payload


@FUZZ
@given(st.data(), st.sampled_from(("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                   "t10k-labels-idx1-ubyte")),
       st.booleans(), st.booleans())
def test_idx_folder_loads_or_refuses(draw, victim, gz, redim):
    with scratch() as folder:
        make_idx_folder(folder / "mnist", gz=gz)
        path = folder / "mnist" / (victim + (".gz" if gz else ""))
        raw = gzip.decompress(path.read_bytes()) if gz else path.read_bytes()
        broken = draw.draw(redimensioned(raw) if redim else damaged(raw))
        path.write_bytes(gzip.compress(broken, mtime=0) if gz else broken)
        found = loads_or_refuses(data.load, "auto", folder / "mnist")
    if found is not None:
        assert len(found.x_train) == len(found.y_train) > 0 and len(found.x_test) == len(found.y_test) > 0
        assert found.input_dim > 0 and found.x_train.dtype == np.float32
        assert 0.0 <= found.x_train.min() and found.x_train.max() <= 1.0


ARRAYS = hnp.arrays(dtype=st.sampled_from([np.uint8, np.int64, np.float32, np.float64, np.bool_, np.complex64,
                                           np.dtype("<U2"), np.uint64, np.int8]),
                    shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))


@FUZZ
@given(st.fixed_dictionaries({}, optional={"x_train": ARRAYS, "y_train": ARRAYS, "x_test": ARRAYS,
                                           "y_test": ARRAYS, "extra": ARRAYS}))
@example({"x_train": np.zeros((2, 4)), "y_train": np.array([0, 2**40]), "x_test": np.zeros((1, 4)),
          "y_test": np.array([1])})
@example({"x_train": np.full((2, 4), np.nan), "y_train": np.array([0, 1]), "x_test": np.zeros((1, 4)),
          "y_test": np.array([1])})
def test_npz_dataset_loads_or_refuses(arrays):
    with scratch() as folder:
        np.savez(folder / "data.npz", **arrays)
        found = loads_or_refuses(data.load, "auto", folder / "data.npz")
    if found is not None:
        assert np.isfinite(found.x_train).all() and found.classes <= data.MAX_CLASSES


# --- recipes ---------------------------------------------------------------------------------------

SHIPPED = sorted(recipe.discover([paths.builtin_recipes()]).values())

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-2**70, 2**70).map(lambda n: n * 2**400),
                         st.floats(), st.text(max_size=8))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                                 st.dictionaries(st.text(max_size=6), inner,
                                                                                 max_size=3)),
                           max_leaves=8)


@FUZZ
@given(st.data(), st.sampled_from(SHIPPED))
def test_recipe_files_load_or_refuse(draw, source):
    broken = draw.draw(damaged(source.read_bytes()))
    with scratch() as folder:
        path = folder / source.name
        path.write_bytes(broken)
        loads_or_refuses(recipe.load_file, path)


@FUZZ
@example(paths.builtin_recipes() / "vae-2d.toml", "params", "beta", 10**400)  # float() overflowed
@given(st.sampled_from(SHIPPED), st.sampled_from(("kind", "description", "net", "loss", "train", "snapshot",
                                                  "params")), st.text(max_size=12), JSON_VALUES)
def test_recipe_data_with_any_values_loads_or_refuses(source, section, key, value):
    """What a session stores (`Recipe.to_dict`, as JSON) with one value replaced by anything."""
    stored = recipe.load_file(source).to_dict()
    if isinstance(stored.get(section), dict) and key:
        stored[section] = {**stored[section], key: value}
    else:
        stored[section] = value
    loads_or_refuses(recipe.Recipe.from_dict, stored, "fuzz", "session fuzz")


# --- session folders -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A real three-epoch session; every example damages a copy of it."""
    return synthetic_session(tmp_path_factory.mktemp("fuzz-template"), "run", epochs=3, code=2, kind="ae")


@contextmanager
def copy_of(template: Path):
    with scratch() as folder:
        yield Path(shutil.copytree(template, folder / "run"))


def open_and_read(path: Path) -> None:
    """Open a session and read what its listing and replay read first; refusals must be `AetuiError`."""
    session = loads_or_refuses(sessions.open_session, path)
    if session is not None:
        assert isinstance(session.problems, list) and session.epochs_done == len(session.epochs)
        assert all(isinstance(p, str) and "\n" not in p for p in session.problems)


@FUZZ
@given(st.data(), st.booleans())
def test_damaged_session_json(template, draw, as_json):
    with copy_of(template) as path:
        meta = path / sessions.META
        if as_json:  # well-formed JSON of any shape, half the time claiming to be a session
            value = draw.draw(JSON_VALUES)
            if draw.draw(st.booleans()):
                value = {**(value if isinstance(value, dict) else {}), "format": sessions.FORMAT}
            meta.write_text(json.dumps(value), encoding="utf-8")
        else:
            meta.write_bytes(draw.draw(damaged(meta.read_bytes())))
        open_and_read(path)


@FUZZ
@given(st.data(), st.sampled_from(("bytes", "line")))
def test_damaged_history(template, draw, how):
    with copy_of(template) as path:
        history = path / sessions.HISTORY
        raw = history.read_bytes()
        if how == "bytes":
            broken = draw.draw(damaged(raw, flips=2))
        else:  # a line of anything (text, or bytes that are not UTF-8) in among the real ones
            lines = raw.splitlines(keepends=True)
            extra = draw.draw(st.one_of(st.text(max_size=80).map(str.encode), st.binary(max_size=80)))
            at = draw.draw(st.integers(0, len(lines)))
            broken = b"".join(lines[:at] + [extra.replace(b"\n", b" ") + b"\n"] + lines[at:])
        history.write_bytes(broken)
        open_and_read(path)


EPOCH_ENDED = {"event": "EpochEnded", "epoch": 3, "step": 30, "logs": {"loss": 1.0, "val_loss": 1.1},
               "stats": {}, "seconds": 1.0, "samples_per_s": 100.0}


@FUZZ
@given(st.sampled_from(sorted(EPOCH_ENDED.keys() - {"event"})), JSON_VALUES)
@example("epoch", "3")
@example("epoch", None)
def test_history_records_with_any_field_values(template, field, value):
    with copy_of(template) as path:
        with open(path / sessions.HISTORY, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({**EPOCH_ENDED, field: value}) + "\n")
        open_and_read(path)


def test_history_line_nested_too_deep(template):
    with copy_of(template) as path:
        with open(path / sessions.HISTORY, "a", encoding="utf-8") as fh:
            fh.write("[" * 100_000 + "\n")
        open_and_read(path)


@FUZZ
@given(st.data(), st.sampled_from(("snapshot", "fixed")), st.sampled_from(("damage", "object", "other-arrays")))
def test_damaged_arrays(template, draw, which, how):
    with copy_of(template) as path:
        file = path / (sessions.FIXED if which == "fixed" else f"{sessions.SNAPSHOTS}/{sessions.snapshot_name(2)}")
        if how == "damage":
            file.write_bytes(draw.draw(damaged(file.read_bytes())))
        elif how == "object":  # pickled objects must be refused, never loaded
            with open(file, "wb") as fh:
                np.savez(fh, recon=np.array([{"a": 1}, None], dtype=object), codes=np.zeros((3, 2)))
        else:  # a sound archive holding whatever arrays
            arrays = draw.draw(st.dictionaries(st.sampled_from(("recon", "codes", "panel", "x")), ARRAYS, max_size=3))
            with open(file, "wb") as fh:
                (np.savez_compressed if draw.draw(st.booleans()) else np.savez)(fh, **arrays)
        session = sessions.open_session(path)
        got = loads_or_refuses(session.fixed) if which == "fixed" else loads_or_refuses(session.snapshot, 2)
        if how == "object":
            assert got is None
        if got is not None:
            assert all(isinstance(v, np.ndarray) and v.dtype != object for v in got.values())
