"""Bad input, case by case: each gets one clear line (the command exits 2, no traceback) and leaves
every file as it was. The real `aetui` command runs in a subprocess on real files; sessions are
written by the real writer (`synthetic_session`, no TensorFlow).
"""

from __future__ import annotations

import gzip
import math
import struct
from pathlib import Path

import numpy as np
import pytest

from aetui.core.hparams import HPARAMS, RUN_SETTINGS
from aetui.ui.widgets.param_slider import ParamSlider
from tests.support import SliderApp, Trap, make_idx_folder, refused

# --- `--set`: not a number, not finite, out of range, unknown ----------------------------------

@pytest.mark.parametrize("assignment, fragment", [
    ("beta=nan", "beta must be finite, got 'nan' (valid: 0 <= beta)"),
    ("beta=inf", "beta must be finite, got 'inf'"),
    ("p=-inf", "p must be finite, got '-inf' (valid: 0 < p < 1)"),
    ("beta=1e400", "beta must be finite, got '1e400'"),
    ("p=-0.1", "p = -0.1 is out of range (valid: 0 < p < 1)"),
    ("p=1", "p = 1 is out of range (valid: 0 < p < 1)"),
    ("p=1.5", "p = 1.5 is out of range (valid: 0 < p < 1)"),
    ("p=0", "p = 0 is out of range (valid: 0 < p < 1)"),
    ("beta=abc", "beta must be a number, got 'abc'"),
    ("beta=-1", "beta = -1 is out of range (valid: 0 <= beta)"),
    ("learning_rate=0", "learning_rate = 0 is out of range (valid: 0 < learning_rate <= 10)"),
    ("foo=1", "unknown hyperparameter 'foo' (this model tunes: learning_rate (lr), beta, p, weight_decay (wd))"),
    ("beta", "--set 'beta': write it as key=value, e.g. --set beta=3"),
    ("beta=", "--set 'beta=': write it as key=value"),
])
def test_set_refuses(tmp_path, assignment, fragment):
    refused(tmp_path, "train", "sparse-kl", "--set", assignment, "--dataset", "digits", fragment=fragment)


@pytest.mark.parametrize("args, fragment", [
    (["--epochs", "0"], "epochs = 0 is out of range (valid: 1 <= epochs <= 100000)"),
    (["--batch-size", "0"], "batch_size = 0 is out of range (valid: 1 <= batch_size <= 65536)"),
    (["--batch-size", "100000"], "batch_size = 100000 is out of range"),
    (["--limit", "0"], "--limit must be at least 1"),
])
def test_run_settings_refused(tmp_path, args, fragment):
    refused(tmp_path, "train", "ae-32", "--dataset", "digits", *args, fragment=fragment)


# --- the slider: a typed value that is not a finite number in range is refused ---------------

@pytest.mark.parametrize("name, typed, fragment", [
    ("p", "nan", "p must be finite"),
    ("p", "inf", "p must be finite"),
    ("p", "-inf", "p must be finite"),
    ("p", "1e400", "p must be finite"),
    ("p", "1", "p = 1 is out of range (valid: 0 < p < 1)"),
    ("p", "0", "p = 0 is out of range"),
    ("beta", "-0.5", "beta = -0.5 is out of range (valid: 0 <= beta)"),
    ("beta", "", "beta must be a number"),
    ("epochs", "2.5", "epochs must be a whole number"),
    ("epochs", "1e9", "epochs = 1e+09 is out of range"),
])
async def test_slider_refuses_typed_value(name, typed, fragment):
    spec = HPARAMS.get(name) or RUN_SETTINGS[name]
    start = {"p": 0.05, "beta": 3.0, "epochs": 30}[name]
    app = SliderApp(spec, start)
    async with app.run_test() as pilot:
        slider = app.query_one(ParamSlider)
        await pilot.press("enter")
        entry = slider.query_one("#entry")
        entry.value = typed
        await pilot.press("enter")
        assert fragment in slider.error and "\n" not in slider.error
        assert slider.value == start and app.changes == []
        assert not entry.has_class("hidden")  # the entry stays open for a correction
        await pilot.press("escape")
        assert slider.error == "" and slider.value == start and entry.has_class("hidden")


async def test_slider_refuses_non_finite_values_set_directly():
    app = SliderApp(HPARAMS["beta"], 3.0)
    async with app.run_test() as pilot:
        slider = app.query_one(ParamSlider)
        for bad in (math.nan, math.inf, -math.inf, -1.0, True, None):
            slider.set_value(bad)
            await pilot.pause()
            assert slider.value == 3.0 and slider.error.startswith("beta ") and app.changes == []


# --- recipes: syntax, missing keys, wrong types, unknown kinds ---------------------------------

@pytest.mark.parametrize("text, fragment", [
    ('kind = "ae"\n[net\ncode = 3\n', "not valid TOML"),
    ('kind = "ae\n', "not valid TOML"),
    ('description = "no kind"\n[params]\nlearning_rate = 0.001\n', "kind: missing; say which model this is"),
    ('kind = "vae"\n[params]\nlearning_rate = 0.001\n', "[params]: give a default for beta"),
    ('kind = "ae"\n[net]\ncode = "32"\n', "[net] code: must be a whole number, got '32'"),
    ('kind = "ae"\n[net]\nhidden = "64"\n', "[net] hidden: must be a list of positive layer sizes"),
    ('kind = "ae"\n[train]\nepochs = 2.5\n', "[train] epochs: must be a whole number, got 2.5"),
    ('kind = "ae"\nnet = 3\n', "[net]: must be a table"),
    ('kind = "ae"\n[params]\nlearning_rate = "0.001"\n', "[params] learning_rate: must be a number, got the text"),
    ('kind = "ae"\n[params]\nlearning_rate = true\n', "[params] learning_rate: learning_rate must be a number"),
    ('kind = "vae"\n[params]\nlearning_rate = 0.001\nbeta = nan\n', "[params] beta: beta must be finite"),
    ('kind = "vae"\n[params]\nlearning_rate = 0.001\nbeta = 1' + "0" * 400 + "\n", "[params] beta: beta = "),
    ('kind = "ae"\n[train]\nepochs = 1000000\n', "[train] epochs: must be at most 100000"),
    ('kind = "ae"\n[train]\nseed = 4294967296\n', "[train] seed: must be at most 4294967295"),
    ('kind = "ae"\n[net]\ncode = 1000000000000\n', "[net] code: must be at most 65536"),
    ('kind = "gan"\n', "kind: unknown model kind 'gan' (one of ae, sparse, nonneg, vae, aae, conv-ae, conv-vae)"),
    ('kind = 3\n', "kind: unknown model kind 3"),
    ('kind = "ae"\ncolour = "red"\n', "colour: unknown key"),
    ('kind = "ae"\n[net]\n"a\\nb" = 1\n', "[net] 'a\\nb': unknown key"),
])
def test_broken_recipe_by_name(tmp_path, text, fragment):
    models = tmp_path / "models"
    models.mkdir()
    (models / "broken.toml").write_text(text, encoding="utf-8")
    line = refused(tmp_path, "train", "broken", "--dataset", "digits", fragment=fragment,
                   env={"AETUI_MODELS": str(models)})
    assert str(models / "broken.toml") in line  # the message names the file


def test_broken_recipe_by_path_and_unreadable_bytes(tmp_path):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('kind = "ae"\ndescription = "caf\xe9"\n'.encode("latin-1"))
    refused(tmp_path, "train", str(bad), "--dataset", "digits", fragment=f"{bad}: cannot read")
    refused(tmp_path, "train", str(tmp_path / "none.toml"), fragment="no recipe file at")


# --- data: missing, empty, wrong magic, truncated, mismatched counts ---------------------------

def write_idx(path: Path, magic: int, dims: tuple[int, ...], payload: bytes) -> None:
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in dims)
    path.write_bytes(header + payload)


def data_refused(root: Path, data: Path, fragment: str) -> str:
    return refused(root, "train", "ae-32", "--data", str(data), "--epochs", "1", fragment=fragment)


def test_data_path_missing(tmp_path):
    data_refused(tmp_path, tmp_path / "nowhere", f"--data {tmp_path / 'nowhere'}: no such file or folder")


def test_data_folder_empty(tmp_path):
    (tmp_path / "empty").mkdir()
    data_refused(tmp_path, tmp_path / "empty", "no *train*-idx3-ubyte[.gz] file (expected MNIST-format IDX files)")


def test_data_file_of_another_kind(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    data_refused(tmp_path, tmp_path / "notes.txt", "expected a folder of IDX files or a .npz file")


@pytest.mark.parametrize("gz", [True, False])
def test_idx_wrong_magic(tmp_path, gz):
    folder = make_idx_folder(tmp_path / "d", gz=gz, image_magic=0x0801)
    data_refused(tmp_path, folder, "not an IDX image file (magic number 0x00000801, expected 0x00000803)")


def test_idx_truncated_contents(tmp_path):
    folder = make_idx_folder(tmp_path / "d", gz=False, cut=7)
    data_refused(tmp_path, folder, "truncated: header promises 80 bytes, file has 73")


def test_idx_truncated_header(tmp_path):
    folder = make_idx_folder(tmp_path / "d", gz=False)
    labels = folder / "t10k-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:6])
    data_refused(tmp_path, folder, "too short to be an IDX file")


def test_idx_truncated_gzip(tmp_path):
    folder = make_idx_folder(tmp_path / "d", gz=True)
    images = folder / "train-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:-12])
    data_refused(tmp_path, folder, "train-images-idx3-ubyte.gz: cannot read")


def test_idx_corrupt_gzip_stream(tmp_path):
    """A damaged deflate stream raises zlib.error (not an OSError): it was a traceback."""
    folder = make_idx_folder(tmp_path / "d", gz=True)
    images = folder / "train-images-idx3-ubyte.gz"
    raw = gzip.compress(struct.pack(">IIII", 0x803, 5, 4, 4) + bytes(range(80)))
    damaged = bytearray(raw)
    damaged[15] ^= 0xFF
    images.write_bytes(bytes(damaged))
    data_refused(tmp_path, folder, "train-images-idx3-ubyte.gz: cannot read")


def test_idx_mismatched_image_and_label_counts(tmp_path):
    folder = make_idx_folder(tmp_path / "d", n_labels=4)
    data_refused(tmp_path, folder, "5 train images but 4 labels")


@pytest.mark.parametrize("dims, fragment", [
    ((2**22, 2**21, 2**21), "its header promises 17179869184.0 GB of pixels, over the 2 GB"),  # np.prod wrapped to 0
    ((0, 2**32 - 1, 2**32 - 1), "damaged header: impossible dimensions 0 x 4294967295 x 4294967295"),
])
def test_idx_absurd_dimensions(tmp_path, dims, fragment):
    """Headers whose sizes overflow: they ended in a ValueError traceback from numpy."""
    folder = make_idx_folder(tmp_path / "d", gz=False)
    write_idx(folder / "train-images-idx3-ubyte", 0x803, dims, bytes(80))
    data_refused(tmp_path, folder, fragment)


def test_idx_images_without_pixels(tmp_path):
    """Images of 0 x 0 pixels used to load, and failed later inside training."""
    folder = make_idx_folder(tmp_path / "d", gz=False)
    write_idx(folder / "train-images-idx3-ubyte", 0x803, (5, 0, 0), b"")
    write_idx(folder / "t10k-images-idx3-ubyte", 0x803, (3, 0, 0), b"")
    data_refused(tmp_path, folder, "images have no pixels")


def test_npz_data_with_an_object_array_is_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled"
    np.savez(tmp_path / "data.npz", x_train=np.array([Trap(marker)], dtype=object), y_train=np.zeros(1, int),
             x_test=np.zeros((1, 4)), y_test=np.zeros(1, int))
    data_refused(tmp_path, tmp_path / "data.npz", "not a readable .npz")
    assert not marker.exists()


def test_npz_data_with_scalar_arrays(tmp_path):
    np.savez(tmp_path / "data.npz", x_train=np.array(3), y_train=np.array(3), x_test=np.array(3), y_test=np.array(3))
    data_refused(tmp_path, tmp_path / "data.npz", "train images must be N x H x W or N x D, got shape ()")


@pytest.mark.parametrize("command", [("train", "ae-32", "--dataset", "digits"), ("ls",)])
def test_a_keras_backend_other_than_tensorflow_is_one_line(tmp_path, command):
    refused(tmp_path, *command, fragment="KERAS_BACKEND=jax: aetui trains with TensorFlow only",
            env={"KERAS_BACKEND": "jax"})
