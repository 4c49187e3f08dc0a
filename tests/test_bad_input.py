"""Bad input, case by case: each gets one clear line (the command exits 2, no traceback) and leaves
every file as it was. The real `aetui` command runs in a subprocess on real files; sessions are
written by the real writer (`synthetic_session`, no TensorFlow).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from aetui.core import sessions
from aetui.core.errors import AetuiError
from aetui.core.hparams import HPARAMS, RUN_SETTINGS
from aetui.ui.widgets.param_slider import ParamSlider
from tests.core.test_data import make_idx_folder
from tests.test_cli import aetui
from tests.ui.conftest import synthetic_session
from tests.ui.test_widgets import SliderApp


def tree_hash(root: Path) -> str:
    """One digest of every path, file and byte under `root` (nothing else may change)."""
    digest = hashlib.sha256()
    if not root.exists():
        return "absent"
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        if path.is_file() and not path.is_symlink():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        else:
            digest.update(b"dir" if path.is_dir() else b"other")
    return digest.hexdigest()


def refused(root: Path, *args: str, fragment: str, env: dict | None = None) -> str:
    """Run `aetui ARGS` with the store `root/sessions`; it must exit 2 with one line on stderr that
    holds `fragment`, print no traceback, and leave `root` exactly as it was. Returns the line."""
    before = tree_hash(root)
    out = aetui(*args, store=root / "sessions", env=env)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2, (out.returncode, out.stdout[-2000:], out.stderr[-2000:])
    assert "Traceback" not in out.stderr + out.stdout
    assert len(lines) == 1 and lines[0].startswith("aetui: "), out.stderr
    assert fragment in lines[0], lines[0]
    assert tree_hash(root) == before, "the command changed files on disk"
    return lines[0]


def shown(root: Path, *args: str) -> str:
    """Run `aetui ARGS` that must succeed without touching the disk; returns its stdout."""
    before = tree_hash(root)
    out = aetui(*args, store=root / "sessions", env={"COLUMNS": "120"})
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert tree_hash(root) == before, "the command changed files on disk"
    return out.stdout


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
    ("foo=1", "unknown hyperparameter 'foo' (this model tunes: learning_rate, beta, p, weight_decay)"),
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
    ('kind = "gan"\n', "kind: unknown model kind 'gan' (one of ae, sparse, nonneg, vae, aae)"),
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
    ((2**22, 2**21, 2**21), "truncated: header promises 18446744073709551616 bytes"),  # np.prod wrapped to 0
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


class Trap:
    """Unpickling this creates `marker`: proof, by its absence, that nothing was unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


# --- sessions: not a session, damaged metadata, damaged history, damaged arrays ----------------

@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A real three-epoch session, copied by each test that damages it."""
    return synthetic_session(tmp_path_factory.mktemp("template"), "run", epochs=3, code=2, kind="ae")


@pytest.fixture
def session(template, tmp_path) -> Path:
    """A fresh copy of the template session in the store `tmp_path/sessions`."""
    return Path(shutil.copytree(template, tmp_path / "sessions" / "run"))


def test_the_template_session_is_sound(session, tmp_path):
    out = shown(tmp_path, "show", "run", "--view", "recon", "--epoch", "3")
    assert "run · run · finished · epoch 3/3" in out


def test_folder_that_is_not_a_session(tmp_path):
    folder = tmp_path / "sessions" / "holiday-photos"
    folder.mkdir(parents=True)
    (folder / "beach.txt").write_text("sand\n")
    refused(tmp_path, "show", "holiday-photos", fragment="holiday-photos is not a session (no session.json)")
    refused(tmp_path, "show", "no-such-run", fragment="no session at")


def test_folder_path_that_is_not_a_session(tmp_path):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    refused(tmp_path, "show", str(folder), fragment=f"{folder} is not a session (no session.json)")


@pytest.mark.parametrize("damage, fragment", [
    (lambda text: text[: len(text) // 2], "run/session.json is damaged"),
    (lambda text: "", "run/session.json is damaged"),
    (lambda text: "[1, 2, 3]", "run/session.json: not an aetui session of format 1"),
    (lambda text: text.replace('"format": 1', '"format": 99'), "not an aetui session of format 1"),
])
def test_session_json_damaged(session, tmp_path, damage, fragment):
    meta = session / sessions.META
    meta.write_text(damage(meta.read_text(encoding="utf-8")), encoding="utf-8")
    refused(tmp_path, "show", "run", fragment=fragment)


def test_session_json_not_utf8(session, tmp_path):
    meta = session / sessions.META
    meta.write_bytes(b"\xff\xfe" + meta.read_bytes())
    refused(tmp_path, "show", "run", fragment="run/session.json is damaged")


def test_session_json_is_a_folder(session, tmp_path):
    (session / sessions.META).unlink()
    (session / sessions.META).mkdir()
    refused(tmp_path, "show", "run", fragment="session.json")


def history_lines(session: Path) -> list[str]:
    return (session / sessions.HISTORY).read_text(encoding="utf-8").splitlines()


def test_history_with_a_corrupt_line_opens_with_the_problem_listed(session, tmp_path):
    lines = history_lines(session)
    epoch2 = next(n for n, line in enumerate(lines) if '"epoch": 2, "step"' in line and "EpochEnded" in line)
    lines[epoch2] = lines[epoch2][:40]
    (session / sessions.HISTORY).write_text("\n".join(lines) + "\n", encoding="utf-8")
    opened = sessions.open_session(session)
    assert [e.epoch for e in opened.epochs] == [1, 3]
    assert any(p.startswith(f"history.jsonl line {epoch2 + 1} skipped") for p in opened.problems)
    out = shown(tmp_path, "show", "run")
    assert f"gap: history.jsonl line {epoch2 + 1} skipped" in out and "epoch 3/3" in out


def test_history_with_a_line_of_garbage_opens(session, tmp_path):
    with open(session / sessions.HISTORY, "a", encoding="utf-8") as fh:
        fh.write('{"event": "Nonsense"}\n[1, 2\n"just text"\n')
    opened = sessions.open_session(session)
    assert opened.epochs_done == 3 and sum("skipped" in p for p in opened.problems) == 3
    shown(tmp_path, "show", "run", "--view", "params")


def test_history_with_a_line_that_is_not_utf8_keeps_the_other_lines(session):
    raw = (session / sessions.HISTORY).read_bytes().splitlines(keepends=True)
    raw[1] = raw[1].replace(b'"', b"\xff", 1)
    (session / sessions.HISTORY).write_bytes(b"".join(raw))
    opened = sessions.open_session(session)
    assert opened.epochs_done >= 2 and any("line 2" in p for p in opened.problems)


def test_history_record_with_a_wrongly_typed_field_opens_with_the_problem_listed(session, tmp_path):
    lines = history_lines(session)
    record = json.loads(lines[-2])
    assert record["event"] == "EpochEnded"
    lines[-2] = json.dumps({**record, "epoch": "3"})
    (session / sessions.HISTORY).write_text("\n".join(lines) + "\n", encoding="utf-8")
    opened = sessions.open_session(session)
    assert opened.epochs_done == 2 and any("skipped" in p for p in opened.problems)
    assert "run" in shown(tmp_path, "ls")


def test_session_json_with_a_wrongly_typed_field_does_not_break_the_listing(session, tmp_path):
    meta = json.loads((session / sessions.META).read_text(encoding="utf-8"))
    (session / sessions.META).write_text(json.dumps({**meta, "recipe": ["not", "a", "table"]}), encoding="utf-8")
    shown(tmp_path, "ls")


def test_truncated_snapshot_is_a_clear_message_when_viewed(session, tmp_path):
    snap = session / sessions.SNAPSHOTS / sessions.snapshot_name(2)
    snap.write_bytes(snap.read_bytes()[:200])
    opened = sessions.open_session(session)  # it opens: the damage shows when the epoch is viewed
    with pytest.raises(AetuiError, match=r"epoch-0002\.npz is damaged"):
        opened.snapshot(2)
    refused(tmp_path, "show", "run", "--view", "recon", "--epoch", "2", fragment="epoch-0002.npz is damaged")
    shown(tmp_path, "show", "run", "--view", "recon", "--epoch", "3")  # the other epochs still show


def test_truncated_fixed_arrays_are_a_clear_message(session, tmp_path):
    fixed = session / sessions.FIXED
    fixed.write_bytes(fixed.read_bytes()[:-30])
    refused(tmp_path, "show", "run", "--view", "recon", "--epoch", "1", fragment="fixed.npz is damaged")


def test_snapshot_with_an_object_array_is_refused_never_unpickled(session, tmp_path):
    marker = tmp_path / "unpickled"
    snap = session / sessions.SNAPSHOTS / sessions.snapshot_name(2)
    arrays = dict(np.load(snap))
    arrays["recon"] = np.array([Trap(marker)], dtype=object)
    with open(snap, "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(AetuiError, match="Object arrays cannot be loaded"):
        sessions.open_session(session).snapshot(2)
    refused(tmp_path, "show", "run", "--view", "recon", "--epoch", "2", fragment="epoch-0002.npz is damaged")
    assert not marker.exists()


def test_epoch_beyond_the_session(session, tmp_path):
    refused(tmp_path, "show", "run", "--epoch", "9", fragment="run has no epoch 9 (epochs: 1..3)")

