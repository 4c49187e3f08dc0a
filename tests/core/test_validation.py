"""Validation figures belong to the test set, not to its order: the same weights evaluated on the
test set in file order and permuted give the same figures (Keras's `evaluate` runs the test step
`fit` validates with, in batches of `engine.VALIDATION_BATCH`)."""

from __future__ import annotations

import numpy as np
import pytest

from aetui.core import data
from aetui.core.store import sessions
from aetui.core.training import engine, trainer


def trained(recipe, train_data, store, **kwargs):
    """The built model of a real short training, with the weights of its last epoch."""
    path = trainer.train(recipe, train_data, store, name="run", **kwargs)
    session = sessions.open_session(path)
    built = trainer._build(session.recipe(), train_data, trainer.params_at_end(session))
    trainer._load_weights(session, built, session.epochs_done)
    built.model.train_batch_size = session.meta.batch_size  # (as the engine sets it for a run)
    return built, session


def validation(built, x) -> dict[str, float]:
    """The validation figures of `x`, as `fit` computes them at an epoch's end."""
    logs = built.model.evaluate(x, x, batch_size=engine.VALIDATION_BATCH, verbose=0, return_dict=True)
    return {k: float(v) for k, v in logs.items()}


def assert_same(a: dict, b: dict, rtol: float = 1e-5) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == pytest.approx(b[key], rel=rtol, abs=1e-7), (key, a[key], b[key])


def by_class(d: data.Dataset, copies: int) -> np.ndarray:
    """Every image of `d`, sorted by class (the worst order for a statistic of a batch), `copies`
    times over: more than one validation batch."""
    x = np.concatenate([d.x_train, d.x_test])
    y = np.concatenate([d.y_train, d.y_test])
    return np.tile(x[np.argsort(y, kind="stable")].reshape(len(x), 1, -1), (1, copies, 1)).reshape(-1, x.shape[1])


@pytest.mark.parametrize("name", ["sparse-kl", "sparse-l1-seed", "vae-2d"])
def test_a_test_set_ordered_by_class_and_permuted_validates_alike(name, recipes, tmp_path):
    """KL sparsity (a function of the mean activation), L1 summed over the batch, and the VAE (its
    per-pixel figures through the posterior mean): in three validation batches, two of them
    holding other digits, the figures do not move."""
    digits = data.load("digits")
    built, _ = trained(recipes[name], digits.limited(512), tmp_path, epochs=1, batch_size=32)
    ordered = by_class(digits, 2)  # 3,594 images: batches of 1,024 (four, the last partial)
    permuted = ordered[np.random.default_rng(0).permutation(len(ordered))]
    first, second = validation(built, ordered), validation(built, permuted)
    if name == "vae-2d":  # (its own recon is of a sampled code: the per-pixel figures are of the mean)
        first, second = ({k: v for k, v in f.items() if k.endswith("_pixel")} for f in (first, second))
    assert {"mse_pixel", "bce_pixel"} <= first.keys()
    assert_same(first, second)


def test_real_mnist_in_file_order_and_permuted_validates_alike(recipes, tmp_path, mnist_dir):
    """MNIST's test file: its first 5,000 digits carry less ink than its last 5,000, so a mean
    activation over a batch in file order strays from the whole set's (the KL penalty on it was
    80 times the whole set's after ten epochs)."""
    mnist = data.load_path(mnist_dir)
    built, session = trained(recipes["sparse-kl"], mnist.limited(4096), tmp_path, epochs=2)
    permuted = mnist.x_test[np.random.default_rng(1).permutation(len(mnist.x_test))]
    in_order = validation(built, mnist.x_test)
    assert_same(in_order, validation(built, permuted))
    recorded = session.epochs[-1].logs  # and what the history holds is the same figure
    assert recorded["val_sparsity"] == pytest.approx(in_order["sparsity"], rel=1e-4)
    assert recorded["val_loss"] == pytest.approx(in_order["loss"], rel=1e-4)


def test_the_figures_are_those_of_the_whole_set_computed_in_numpy(recipes, tmp_path, digits):
    """Validation's KL is beta x KL(p || each unit's mean activation over the whole set), its
    per-pixel errors those `aetui eval` computes; training logs the epoch's KL beside its own."""
    from aetui.core.analysis.metrics import reconstruction_errors

    built, session = trained(recipes["sparse-kl"], digits, tmp_path, epochs=1, batch_size=32)
    x = by_class(data.load("digits"), 1)
    found = validation(built, x)
    codes = built.encode(x)["code"].astype(np.float64)
    rho, p = np.clip(codes.mean(axis=0), 1e-7, 1 - 1e-7), 0.05
    kl = 3.0 * (p * np.log(p / rho) + (1 - p) * np.log((1 - p) / (1 - rho))).sum()
    assert found["sparsity"] == pytest.approx(kl, rel=1e-4)
    errors = reconstruction_errors(x, built.decode(built.encode(x)["code"]))
    assert found["mse_pixel"] == pytest.approx(errors["mse_pixel"], rel=1e-4)
    assert found["bce_pixel"] == pytest.approx(errors["bce_pixel"], rel=1e-4)
    assert found["recon"] == pytest.approx(errors["mse_pixel"], rel=1e-4)  # (sparse-kl's recon: MSE per pixel)
    assert found["loss"] == pytest.approx(found["recon"] + found["sparsity"] + found["l2"], rel=1e-5)
    epoch = session.epochs[0]
    assert epoch.logs["sparsity_epoch"] > 0 and "val_sparsity_epoch" not in epoch.logs
    assert epoch.stats["test_mse_pixel"] == pytest.approx(epoch.logs["val_recon"], rel=1e-4)
    assert "val_mse_pixel" not in epoch.logs  # (figures, kept with the statistics)


def test_l1_summed_over_the_batch_validates_at_the_training_batch_size(recipes, tmp_path, digits):
    built, session = trained(recipes["sparse-l1-seed"], digits, tmp_path, epochs=1, batch_size=32,
                             params={"lam": 1e-3})
    x = by_class(data.load("digits"), 1)
    found = validation(built, x)
    per_image = np.abs(built.encode(x)["code"].astype(np.float64)).sum(axis=1).mean()
    assert found["l1"] == pytest.approx(1e-3 * 32 * per_image, rel=1e-4)


def test_the_vae_s_errors_are_of_its_posterior_mean_as_eval_s(recipes, tmp_path, digits):
    from aetui.core.analysis.metrics import reconstruction_errors

    built, session = trained(recipes["vae-2d"], digits, tmp_path, epochs=1, batch_size=32)
    found = validation(built, digits.x_test)
    errors = reconstruction_errors(digits.x_test, built.decode(built.encode(digits.x_test)["code"]))
    assert found["mse_pixel"] == pytest.approx(errors["mse_pixel"], rel=1e-4)
    assert found["bce_pixel"] == pytest.approx(errors["bce_pixel"], rel=1e-4)
    stats = session.epochs[0].stats
    assert stats["test_bce_image"] == pytest.approx(stats["test_bce_pixel"] * 64)
