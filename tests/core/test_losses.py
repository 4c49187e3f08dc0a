"""Each loss term against a plain numpy formula."""

import numpy as np
import pytest

from aetui.core.families import losses

rng = np.random.default_rng(0)
X = rng.random((8, 20)).astype(np.float32)
R = rng.uniform(0.05, 0.95, (8, 20)).astype(np.float32)
CODE = rng.uniform(0.01, 0.5, (8, 6)).astype(np.float32)


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), b, rtol=1e-4)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bce(reduction):
    per = -(X * np.log(R) + (1 - X) * np.log(1 - R))
    want = per.mean() if reduction == "mean" else per.sum(axis=1).mean()
    close(losses.reconstruction(X, R, "bce", reduction), want)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse(reduction):
    per = (X - R) ** 2
    want = per.mean() if reduction == "mean" else 0.5 * per.sum(axis=1).mean()
    close(losses.reconstruction(X, R, "mse", reduction), want)


def test_sum_reduction_is_input_dim_times_mean():
    close(losses.reconstruction(X, R, "bce", "sum"), 20 * np.asarray(losses.reconstruction(X, R, "bce", "mean")))


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_kl_sparsity(reduction):
    p, rho = 0.05, CODE.mean(axis=0)
    kl = p * np.log(p / rho) + (1 - p) * np.log((1 - p) / (1 - rho))
    close(losses.kl_sparsity(CODE, p, reduction), kl.sum() if reduction == "sum" else kl.mean())


def test_kl_sparsity_is_zero_at_target():
    code = np.full((4, 3), 0.2, np.float32)
    assert abs(float(losses.kl_sparsity(code, 0.2, "sum"))) < 1e-6


def test_l1_and_weights():
    close(losses.l1_activity(CODE), np.abs(CODE).sum(axis=1).mean())
    close(losses.l1_activity(CODE, "image"), np.abs(CODE).sum(axis=1).mean())
    close(losses.l1_activity(CODE, "batch"), np.abs(CODE).sum())  # Keras 2: batch-size times the above
    w = [rng.normal(size=(5, 4)).astype(np.float32), rng.normal(size=(4, 3)).astype(np.float32)]
    close(losses.l2_weights(w), sum((k ** 2).sum() for k in w))
    close(losses.negative_weights(w), 0.5 * sum((np.minimum(k, 0) ** 2).sum() for k in w))


def test_gaussian_kl():
    mean, log_var = rng.normal(size=(8, 2)), rng.normal(size=(8, 2)) * 0.5
    want = (-0.5 * (1 + log_var - mean ** 2 - np.exp(log_var))).sum(axis=1).mean()
    close(losses.gaussian_kl(mean.astype(np.float32), log_var.astype(np.float32)), want)
