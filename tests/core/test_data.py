"""Datasets: real IDX files, npz, the embedded digits, and clear refusals of bad files."""

import numpy as np
import pytest

from aetui.core import data
from aetui.core.errors import AetuiError
from tests.support import make_idx_folder


def test_real_mnist_idx(mnist_dir):
    d = data.load(path=mnist_dir)
    assert d.name == "mnist" and d.image_shape == (28, 28) and d.input_dim == 784
    assert (len(d.x_train), len(d.x_test)) == (22699, 10000)
    assert d.class_counts() == [2258, 2581, 2215, 2369, 2222, 2010, 2235, 2356, 2163, 2290]
    assert d.x_train.dtype == np.float32 and 0.0 <= d.x_train.min() and d.x_train.max() == 1.0


def test_aetui_data_sets_the_path(mnist_dir, monkeypatch):
    monkeypatch.setenv("AETUI_DATA", str(mnist_dir))
    assert len(data.load().x_test) == 10000


def test_digits_are_embedded():
    d = data.load("digits")
    assert d.image_shape == (8, 8) and d.input_dim == 64 and d.classes == 10
    assert len(d.x_train) + len(d.x_test) == 1797 and sum(d.class_counts()) == len(d.x_train)


def test_auto_gives_mnist_or_says_why_not(monkeypatch, tmp_path):
    monkeypatch.delenv("AETUI_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    d = data.load("auto")
    assert d.name == "mnist" or (d.name == "digits" and "--data" in d.note)


def test_small_idx_folder_plain_and_gz(tmp_path):
    for gz in (True, False):
        d = data.load(path=make_idx_folder(tmp_path / f"f{gz}", gz=gz))
        assert d.x_train.shape == (5, 16) and d.image_shape == (4, 4) and d.y_train.tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("kwargs, fragment", [
    ({"image_magic": 0x801}, "not an IDX image file (magic number 0x00000801"),
    ({"cut": 10}, "truncated"),
    ({"n_labels": 4}, "5 train images but 4 labels"),
])
def test_bad_idx_files_are_refused(tmp_path, kwargs, fragment):
    with pytest.raises(AetuiError, match=fragment.replace("(", r"\(")):
        data.load(path=make_idx_folder(tmp_path / "bad", **kwargs))


def test_missing_and_empty_paths(tmp_path):
    with pytest.raises(AetuiError, match="no such file or folder"):
        data.load(path=tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AetuiError, match="no .*idx3-ubyte"):
        data.load(path=tmp_path / "empty")


def test_npz(tmp_path):
    path = tmp_path / "set.npz"
    rng = np.random.default_rng(0)
    np.savez(path, x_train=rng.integers(0, 255, (6, 5, 5), dtype=np.uint8), y_train=np.arange(6),
             x_test=rng.integers(0, 255, (2, 5, 5), dtype=np.uint8), y_test=np.arange(2))
    d = data.load(path=path)
    assert d.x_train.shape == (6, 25) and d.x_train.max() <= 1.0
    np.savez(tmp_path / "short.npz", x_train=np.zeros((2, 4)))
    with pytest.raises(AetuiError, match="missing arrays y_train"):
        data.load(path=tmp_path / "short.npz")
    objects = np.array([{"a": 1}], dtype=object)
    np.savez(tmp_path / "obj.npz", x_train=objects, y_train=objects, x_test=objects, y_test=objects)
    with pytest.raises(AetuiError, match="not a readable .npz"):
        data.load(path=tmp_path / "obj.npz")


def test_unknown_dataset_name():
    with pytest.raises(AetuiError, match="unknown dataset 'cifar'"):
        data.load("cifar")
