"""`aetui show` and `aetui export` on real sessions: every view prints; exports decode to the arrays."""

import csv

import numpy as np
import pytest

from aetui.core.store import sessions
from aetui.core.training import trainer
from aetui.views.export import export, tile
from aetui.views.figures import CLASS_RGB
from aetui.views.show import CAPTION_HEIGHT, LEGEND_WIDTH
from tests import support

VIEWS = ("curves", "recon", "scatter", "sweep", "area", "sparsity", "params")


@pytest.fixture(scope="module")
def vae_session(tmp_path_factory, recipes):
    from aetui.core import data

    store = tmp_path_factory.mktemp("store")
    controls = trainer.Controls(recipes["vae-2d"].tunables)
    controls.set("beta", 2.0)
    trainer.train(recipes["vae-2d"], data.load("digits").limited(256), store, epochs=2, batch_size=64,
                  name="vae", controls=controls)
    return store


def show(store, *args):
    return support.aetui(store, "show", *args, timeout=120,
                         whole_env={"COLUMNS": "100", "LINES": "40", "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_prints(vae_session, view):
    out = show(vae_session, "vae", "--view", view, "--epoch", "1")
    assert out.returncode == 0, out.stderr
    assert "vae · vae-2d · finished · epoch 1/2" in out.stdout
    expected = {"curves": "val loss", "recon": "@", "scatter": "the 2-D code itself", "sweep": "quantiles",
                "area": "area share", "sparsity": "KL per latent dimension", "params": "beta"}[view]
    assert expected in out.stdout


def test_show_errors_are_one_line(vae_session, tmp_path):
    out = show(vae_session, "vae", "--epoch", "7")
    assert out.returncode == 2 and out.stderr.strip() == "aetui: vae has no epoch 7 (epochs: 1..2)"
    out = show(vae_session, "nope")
    assert out.returncode == 2 and "no session at" in out.stderr
    out = show(vae_session, str(tmp_path))  # a folder that exists wherever the suite runs
    assert out.returncode == 2 and out.stderr.strip() == f"aetui: {tmp_path} is not a session (no session.json)"


def test_export_decodes_to_the_stored_arrays(vae_session, tmp_path):
    session = sessions.open_session(vae_session / "vae")
    written = export(session, tmp_path / "out")
    from PIL import Image

    shape = tuple(session.fixed()["image_shape"])
    for epoch in (1, 2):
        png = np.array(Image.open(tmp_path / "out" / f"recon-epoch-{epoch:04d}.png"))
        stored = session.snapshot(epoch)["recon"]
        np.testing.assert_array_equal(png, tile(stored.reshape(-1, *shape), len(stored)))
    sweep = np.array(Image.open(tmp_path / "out" / "sweep-epoch-0002.png"))
    grid = session.meta.recipe_section("snapshot")["sweep"]  # (vae-2d's: 15 x 15)
    np.testing.assert_array_equal(sweep, tile(session.snapshot(2)["sweep"].reshape(-1, *shape), grid))
    rows = list(csv.DictReader(open(tmp_path / "out" / "history.csv")))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert float(rows[1]["val_loss"]) == pytest.approx(session.epochs[1].logs["val_loss"])
    events_files = list((tmp_path / "out" / "tensorboard").glob("events.out.tfevents.*"))
    assert len(events_files) == 1 and events_files[0].stat().st_size > 1000
    assert (tmp_path / "out" / "scatter-epoch-0002.png") in written
    scatter = np.array(Image.open(tmp_path / "out" / "scatter-epoch-0002.png"))
    assert scatter.shape == (480 + CAPTION_HEIGHT, 480 + LEGEND_WIDTH, 3)
    for row, label in enumerate(np.unique(session.fixed()["subset_labels"]).astype(int)):  # the key, class by class
        assert tuple(scatter[8 + row * 18 + 5, 480 + 15]) == tuple(CLASS_RGB[label])


def test_export_leaves_out_a_missing_snapshot_and_goes_on(vae_session, tmp_path):
    import shutil

    path = shutil.copytree(vae_session / "vae", tmp_path / "gap")
    (path / "snapshots" / "epoch-0001.npz").unlink()
    skipped: list[str] = []
    written = export(sessions.open_session(path), tmp_path / "out", skipped)
    names = {p.name for p in written}
    assert "recon-epoch-0002.png" in names and "recon-epoch-0001.png" not in names
    assert "history.csv" in names and "tensorboard" in names and len(skipped) == 1


def test_recorded_steps_are_real_batches(vae_session):
    session = sessions.open_session(vae_session / "vae")
    per_epoch = -(-256 // 64)  # 4 batches of the 256 digits, run 8 steps per execution
    assert [e.step for e in session.epochs] == [per_epoch, 2 * per_epoch]


def test_tensorboard_events_hold_the_scalars(vae_session, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    export(sessions.open_session(vae_session / "vae"), tmp_path / "tb")
    acc = EventAccumulator(str(tmp_path / "tb" / "tensorboard"))
    acc.Reload()
    tags = acc.Tags()
    assert "val_loss" in tags["tensors"] and "train_kl" in tags["tensors"]
