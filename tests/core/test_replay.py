"""Replay views read back real sessions: numbers match the stored arrays; damaged sessions still open."""

import shutil

import numpy as np
import pytest

from aetui.core.analysis.area import area_shares
from aetui.core.errors import AetuiError
from aetui.core.store import sessions
from aetui.core.training import trainer
from aetui.views.replay import Replay


@pytest.fixture(scope="module")
def trained(tmp_path_factory, recipes):
    """A 2-D VAE and a 196-unit sparse model, each trained 3 epochs on the embedded digits."""
    from aetui.core import data

    store = tmp_path_factory.mktemp("store")
    digits = data.load("digits").limited(256)
    return {name: trainer.train(recipes[name], digits, store, epochs=3, batch_size=64, name=name)
            for name in ("vae-2d", "sparse-kl")}


def test_views_match_the_session_arrays(trained):
    replay = Replay(sessions.open_session(trained["vae-2d"]))
    assert replay.epochs == [1, 2, 3] and replay.last == 3
    for epoch in replay.epochs:
        snap = replay.session.snapshot(epoch)
        originals, recon, labels = replay.reconstructions(epoch)
        np.testing.assert_allclose(recon.reshape(len(recon), -1), snap["recon"] / 255.0, atol=1e-6)
        np.testing.assert_allclose(originals.reshape(len(originals), -1), replay.fixed["panel"] / 255.0, atol=1e-6)
        assert labels == [str(v) for v in replay.fixed["panel_labels"]]
        codes, subset_labels = replay.codes(epoch)
        np.testing.assert_array_equal(codes, snap["codes"].astype(np.float32))
        assert (subset_labels == replay.fixed["subset_labels"]).all()
        points, how = replay.projection(epoch)
        assert how == "the 2-D code itself" and np.allclose(points, codes)
    with pytest.raises(AetuiError, match="has no epoch 9 \\(epochs: 1..3\\)"):
        replay.snapshot(9)


def test_pca_projection_matches_numpy(trained):
    replay = Replay(sessions.open_session(trained["sparse-kl"]))
    codes, _ = replay.codes(2)
    points, how = replay.projection(2, "pca")
    assert "PCA" in how
    centred = codes.astype(np.float64) - codes.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reference = centred @ vt[:2].T
    for k in range(2):
        sign = np.sign(points[:, k] @ reference[:, k])
        np.testing.assert_allclose(points[:, k], sign * reference[:, k], rtol=1e-4, atol=1e-5)


def test_tsne_projection_is_labelled_indirect(trained):
    points, how = Replay(sessions.open_session(trained["sparse-kl"])).projection(3, "tsne")
    assert points.shape[1] == 2 and "t-SNE" in how and "indirect" in how


def test_area_shares_add_up_and_follow_the_labels():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 50)
    centres = np.array([[-2, -2], [2, -2], [-2, 2], [2, 2]], float)
    codes = centres[labels] + rng.normal(scale=0.3, size=(200, 2))
    xs = np.linspace(-3, 3, 6)
    points = np.array([[x, y] for y in xs[::-1] for x in xs])
    shares, cells = area_shares(points, codes, labels, classes=5)
    assert shares.sum() == pytest.approx(1.0) and shares[4] == 0.0
    np.testing.assert_allclose(shares[:4], 0.25)
    assert cells[0] == 2 and cells[5] == 3 and cells[30] == 0 and cells[35] == 1


def test_area_of_a_real_vae(trained):
    replay = Replay(sessions.open_session(trained["vae-2d"]))
    area = replay.area(3)
    assert area["area"].sum() == pytest.approx(1.0) and area["train"].sum() == pytest.approx(1.0)
    assert area["cells"].shape == (15, 15) and "quantiles" in area["plane"]  # (vae-2d's sweep: 15 x 15)
    counts = np.array(replay.session.meta.dataset["class_counts"])
    np.testing.assert_allclose(area["train"], counts / counts.sum())
    with pytest.raises(AetuiError, match="need a 2-D code"):
        Replay(sessions.open_session(trained["sparse-kl"])).area(3)


def test_sweep_and_sparsity_series(trained):
    replay = Replay(sessions.open_session(trained["sparse-kl"]))
    images, columns, how = replay.sweep(3)
    assert images.shape == (100, 8, 8) and columns == 10 and "principal" in how
    series = replay.sparsity_series()
    assert set(series) == {"mean_activation", "near_zero", "l0", "dead_units", "first_two_zero"}
    assert series["mean_activation"] == [e.stats["mean_activation"] for e in replay.session.epochs]
    assert list(Replay(sessions.open_session(trained["vae-2d"])).sparsity_series()) == ["active_units"]


def test_damaged_sessions_open_with_the_gap_reported(trained, tmp_path):
    path = shutil.copytree(trained["vae-2d"], tmp_path / "damaged")
    history = path / sessions.HISTORY
    text = history.read_text()
    history.write_text(text[: text.rindex('{"event": "TrainingFinished"') + 30])  # truncated last line
    (path / sessions.SNAPSHOTS / sessions.snapshot_name(2)).unlink()
    for w in (path / sessions.WEIGHTS).iterdir():
        w.unlink()
    replay = Replay(sessions.open_session(path))
    problems = " | ".join(replay.session.problems)
    assert "line" in problems and "snapshot of epoch 2 is missing" in problems and "no saved weights" in problems
    assert replay.last == 3 and replay.reconstructions(3)[1].shape[0] == 10
    with pytest.raises(AetuiError, match="is missing"):
        replay.reconstructions(2)


def test_replay_of_a_real_mnist_session(recipes, mnist_dir, tmp_path):
    from aetui.core import data

    mnist = data.load(path=mnist_dir).limited(2048)
    path = trainer.train(recipes["vae-2d"], mnist, tmp_path, epochs=2, batch_size=128, name="mnist-vae")
    replay = Replay(sessions.open_session(path))
    images, columns, how = replay.sweep(2)
    assert images.shape == (225, 28, 28) and columns == 15  # (vae-2d's sweep: 15 x 15)
    area = replay.area(2)
    assert area["area"].sum() == pytest.approx(1.0) and len(area["train"]) == 10
    originals, recon, _ = replay.reconstructions(2)
    assert originals.shape == recon.shape == (10, 28, 28)
