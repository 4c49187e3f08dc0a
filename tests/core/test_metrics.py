"""Each evaluation metric against a plain numpy reference (loops or closed forms) on small cases."""

from collections import Counter

import numpy as np
import pytest

from aetui.core.analysis import metrics, sparsity

LOG_2PI = np.log(2 * np.pi)


def close(a, b, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(np.asarray(a, np.float64), b, rtol=rtol, atol=atol)


def sigmoid_decoder(w, b):
    """A decoder whose pixel probabilities depend on the code: sigmoid(z @ w + b)."""
    return lambda z: 1.0 / (1.0 + np.exp(-(np.asarray(z) @ w + b)))


def constant_decoder(probs):
    """A decoder that ignores the code."""
    return lambda z: np.broadcast_to(probs, (len(z), len(probs)))


def log_bernoulli(x, r):
    return sum(xi * np.log(ri) + (1 - xi) * np.log(1 - ri) for xi, ri in zip(x, r))


# ------------------------------------------------------------------------------ reconstruction


def test_reconstruction_errors_against_formulas():
    rng = np.random.default_rng(0)
    x, r = rng.random((7, 12)), rng.uniform(0.05, 0.95, (7, 12))
    sq, bce = (x - r) ** 2, -(x * np.log(r) + (1 - x) * np.log(1 - r))
    got = metrics.reconstruction_errors(x, r)
    close(got["mse_pixel"], sq.mean())
    close(got["mse_image"], sq.sum(axis=1).mean())
    close(got["bce_pixel"], bce.mean())
    close(got["bce_image"], bce.sum(axis=1).mean())
    close(got["bce_image"], 12 * got["bce_pixel"])


def test_reconstruction_errors_uint8_and_clipping():
    rng = np.random.default_rng(1)
    x8, r8 = rng.integers(0, 256, (5, 9), dtype=np.uint8), rng.integers(0, 256, (5, 9), dtype=np.uint8)
    assert metrics.reconstruction_errors(x8, r8) == pytest.approx(
        metrics.reconstruction_errors(x8 / 255.0, r8 / 255.0), rel=1e-12)
    ones = np.ones((2, 3))
    got = metrics.reconstruction_errors(ones, np.zeros((2, 3)))  # recon 0 is clipped to 1e-7
    close(got["bce_pixel"], -np.log(1e-7), rtol=1e-6)
    assert got["mse_pixel"] == 1.0 and got["mse_image"] == 3.0


# ------------------------------------------------------------------------------ k-NN and probe


def knn_reference(train, train_labels, test, k):
    """Brute force: sort every train code by (distance, index), vote, break ties by nearest."""
    predicted = []
    for t in test:
        d = [float(((t - u) ** 2).sum()) for u in train]
        order = sorted(range(len(train)), key=lambda j: (d[j], j))[:k]
        labels = [train_labels[j] for j in order]
        counts = Counter(labels)
        top = max(counts.values())
        predicted.append(next(lab for lab in labels if counts[lab] == top))
    return np.array(predicted)


@pytest.mark.parametrize("k", [1, 4, 5])
def test_knn_against_brute_force(k):
    rng = np.random.default_rng(2)
    train, test = rng.normal(size=(60, 3)), rng.normal(size=(25, 3))
    train_labels, test_labels = rng.integers(0, 4, 60), rng.integers(0, 4, 25)
    want = (knn_reference(train, train_labels, test, k) == test_labels).mean()
    assert metrics.knn_accuracy(train, train_labels, test, test_labels, k) == pytest.approx(want)


def test_knn_ties_go_to_the_nearest_label():
    train = np.array([[0.0], [1.0], [2.0], [3.0]])
    # neighbours of 0 in order: labels 7, 3, 3, 7 -> a 2-2 tie, the nearest (7) wins
    assert metrics.knn_accuracy(train, [7, 3, 3, 7], [[0.0]], [7], k=4) == 1.0
    assert metrics.knn_accuracy(train, [7, 3, 3, 7], [[0.0]], [7], k=2) == 1.0
    assert metrics.knn_accuracy(train, [7, 3, 3, 7], [[0.0]], [3], k=3) == 1.0  # 2-1 majority


@pytest.mark.parametrize("k", [1, 5])
def test_knn_matches_sklearn_without_ties(k):
    from sklearn.neighbors import KNeighborsClassifier

    # two classes and odd k: a vote cannot tie; continuous codes: no two distances are equal
    rng = np.random.default_rng(3)
    train, test = rng.normal(size=(300, 4)), rng.normal(size=(200, 4))
    train_labels = (train[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(int)
    test_labels = (test[:, 0] > 0).astype(int)
    want = KNeighborsClassifier(n_neighbors=k).fit(train, train_labels).score(test, test_labels)
    assert metrics.knn_accuracy(train, train_labels, test, test_labels, k) == pytest.approx(want)


def test_linear_probe_separable_and_chance():
    rng = np.random.default_rng(4)
    centres = rng.normal(size=(10, 8)) * 10
    labels, test_labels = rng.integers(0, 10, 1000), rng.integers(0, 10, 500)
    train, test = centres[labels] + rng.normal(size=(1000, 8)), centres[test_labels] + rng.normal(size=(500, 8))
    assert metrics.linear_probe_accuracy(train, labels, test, test_labels) == 1.0
    # shuffled train labels, and test labels drawn independently of everything else: each of the 500
    # test predictions is right with probability 0.1 independently, so the accuracy is
    # Binomial(500, 0.1) / 500 with sd 0.013, and [0.04, 0.16] is more than 4 sd either way
    chance = metrics.linear_probe_accuracy(train, rng.permutation(labels), test, rng.integers(0, 10, 500))
    assert 0.04 < chance < 0.16


# ------------------------------------------------------------------------------ VAE bounds


def test_gaussian_kl_per_image():
    rng = np.random.default_rng(5)
    mean, log_var = rng.normal(size=(6, 3)), rng.normal(size=(6, 3)) * 0.5
    var = np.exp(log_var)
    want = [sum(0.5 * (var[i, d] + mean[i, d] ** 2 - 1 - np.log(var[i, d])) for d in range(3)) for i in range(6)]
    close(metrics.gaussian_kl_per_image(mean, log_var), want)
    close(metrics.gaussian_kl_per_image(np.zeros((2, 4)), np.zeros((2, 4))), [0.0, 0.0])


def iwae_reference(x, mean, log_var, decode, eps):
    """log-mean-exp of p(x|z) p(z) / q(z|x), one image and one draw at a time, explicit densities."""
    out = []
    for i in range(len(x)):
        std = np.exp(0.5 * log_var[i])
        weights = []
        for e in eps[i]:
            z = mean[i] + std * e
            p_x = np.prod([r**xi * (1 - r) ** (1 - xi) for xi, r in zip(x[i], decode(z[None])[0])])
            p_z = np.prod([np.exp(-zd**2 / 2) / np.sqrt(2 * np.pi) for zd in z])
            q_z = np.prod([np.exp(-((zd - md) / sd) ** 2 / 2) / (np.sqrt(2 * np.pi) * sd)
                           for zd, md, sd in zip(z, mean[i], std)])
            weights.append(p_x * p_z / q_z)
        out.append(np.log(np.mean(weights)))
    return np.array(out)


@pytest.mark.parametrize("batch", [1, 2, 7, 1000])
def test_iwae_against_brute_force(batch):
    rng = np.random.default_rng(6)
    x, mean, log_var = rng.random((3, 4)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2)) * 0.3
    decode = sigmoid_decoder(rng.normal(size=(2, 4)), rng.normal(size=4))
    eps = np.random.default_rng(60).standard_normal((3, 5, 2))  # the draws iwae_bound makes: image by image
    want = iwae_reference(x, mean, log_var, decode, eps)
    close(metrics.iwae_bound(x, mean, log_var, decode, np.random.default_rng(60), k=5, batch=batch), want)


def vae_case(n, seed, d=6, dim=2):
    rng = np.random.default_rng(seed)
    return (rng.random((n, d)), rng.normal(size=(n, dim)) * 0.3, np.log(rng.uniform(0.8, 1.1, (n, dim)) ** 2),
            rng.uniform(0.1, 0.9, d), rng.normal(size=(dim, d)) * 2)


def test_constant_decoder_gives_exact_elbo_and_converging_iwae():
    x, mean, log_var, probs, _ = vae_case(10, 7)
    decode, exact = constant_decoder(probs), log_bernoulli(x.T, probs[:, None])  # log p(x), exactly
    kl = metrics.gaussian_kl_per_image(mean, log_var)
    close(metrics.elbo(x, mean, log_var, decode, np.random.default_rng(70), samples=3), exact - kl)
    k = 20000
    iwae = metrics.iwae_bound(x, mean, log_var, decode, np.random.default_rng(71), k=k)
    # iwae - log p(x) = log(mean of k weights w = p(z)/q(z|x)), E[w] = 1. Per dimension, with q =
    # N(mu, s^2) and s^2 > 1/2, E[w^2] = s / sqrt(2a) exp(mu^2 / (4 a s^4) + mu^2 / (2 s^2)),
    # a = 1 - 1/(2 s^2); the product over dimensions gives Var w. The tolerance is 5 standard
    # deviations of the mean weight, and |log(1 + t)| < 1.1 |t| for the |t| < 0.05 allowed here.
    mu, s2 = mean, np.exp(log_var)
    a = 1 - 1 / (2 * s2)
    second = np.prod(np.sqrt(s2) / np.sqrt(2 * a) * np.exp(mu**2 / (4 * a * s2**2) + mu**2 / (2 * s2)), axis=1)
    tol = 5 * np.sqrt((second - 1) / k)
    assert np.all(tol < 0.05)
    assert np.all(np.abs(iwae - exact) < 1.1 * tol)


def test_iwae_k1_is_a_one_sample_elbo():
    x, mean, log_var, _, w = vae_case(4000, 8)
    decode = sigmoid_decoder(w, 0.0)
    one = metrics.iwae_bound(x, mean, log_var, decode, np.random.default_rng(80), k=1)
    single = metrics.elbo(x, mean, log_var, decode, np.random.default_rng(80), samples=1)
    # same draws: the two differ by log p(z) - log q(z|x) + KL, exactly
    eps = np.random.default_rng(80).standard_normal((4000, 1, 2))[:, 0]
    z = mean + np.exp(0.5 * log_var) * eps
    log_ratio = (-0.5 * (z**2 + LOG_2PI) + 0.5 * (eps**2 + log_var + LOG_2PI)).sum(axis=1)
    close(one - single, log_ratio + metrics.gaussian_kl_per_image(mean, log_var), rtol=1e-9, atol=1e-9)
    # and in expectation they agree: the mean difference is within 5 standard errors of 0
    diff = one - single
    assert abs(diff.mean()) < 5 * diff.std() / np.sqrt(len(diff))


def test_iwae_is_above_the_elbo_and_tightens():
    x, mean, log_var, _, w = vae_case(200, 9, d=20)
    x = (x > 0.5).astype(float)
    decode = sigmoid_decoder(w, 0.0)
    bound = {k: metrics.iwae_bound(x, mean, log_var, decode, np.random.default_rng(90), k=k).mean()
             for k in (1, 10, 100)}
    bound_elbo = metrics.elbo(x, mean, log_var, decode, np.random.default_rng(91), samples=100).mean()
    assert bound[100] > bound[10] > bound[1]
    assert bound[100] > bound_elbo


def test_elbo_samples_average_the_draws():
    x, mean, log_var, _, w = vae_case(5, 10)
    decode = sigmoid_decoder(w, 0.0)
    eps = np.random.default_rng(100).standard_normal((5, 3, 2))
    z = mean[:, None] + np.exp(0.5 * log_var)[:, None] * eps
    ll = np.array([[log_bernoulli(x[i], decode(z[i, j][None])[0]) for j in range(3)] for i in range(5)])
    want = ll.mean(axis=1) - metrics.gaussian_kl_per_image(mean, log_var)
    close(metrics.elbo(x, mean, log_var, decode, np.random.default_rng(100), samples=3, batch=4), want)


def test_active_units_burda():
    rng = np.random.default_rng(11)
    mean = rng.normal(size=(500, 4)) * np.array([1.0, 0.2, 0.05, 0.0])  # variances ~1, 0.04, 0.0025, 0
    assert metrics.active_units_burda(mean) == 2
    assert metrics.active_units_burda(mean, threshold=0.001) == 3
    assert metrics.active_units_burda(mean) == sparsity.gaussian_stats(mean, np.zeros_like(mean))["active_units"]


# ------------------------------------------------------------------------------ AAE


def mmd_reference(x, y, widths):
    def kern(a, b):
        return sum(np.exp(-((a - b) ** 2).sum() / (2 * h * h)) for h in widths)

    n, m = len(x), len(y)
    xx = sum(kern(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(kern(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(kern(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


def test_mmd_against_double_loop():
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(5, 3)) + 0.5
    close(metrics.mmd(x, y, bandwidths=[0.5, 2.0]), mmd_reference(x, y, [0.5, 2.0]))
    pooled = np.vstack([x, y])
    median = np.median([np.sqrt(((pooled[i] - pooled[j]) ** 2).sum())
                        for i in range(11) for j in range(i + 1, 11)])
    close(metrics.mmd(x, y), mmd_reference(x, y, [s * median for s in metrics.MMD_SCALES]))


def test_mmd_near_zero_for_one_distribution_and_positive_for_a_shift():
    rng = np.random.default_rng(13)
    x, y = rng.normal(size=(600, 2)), rng.normal(size=(600, 2))
    # for two samples of N(0, I) the unbiased estimate has mean 0 and sd about 0.003 (measured over
    # 30 seeds), so 0.015 is 5 sd; a unit shift of one coordinate gives 0.25 or more on those seeds
    same, shifted = metrics.mmd(x, y), metrics.mmd(x, y + [1.0, 0.0])
    assert abs(same) < 0.015
    assert shifted > 0.1


def parzen_reference(samples, test, sigma):
    out = []
    for t in test:
        dens = [np.prod([np.exp(-(td - sd) ** 2 / (2 * sigma**2)) / np.sqrt(2 * np.pi * sigma**2)
                         for td, sd in zip(t, s)]) for s in samples]
        out.append(np.log(np.mean(dens)))
    return np.array(out)


@pytest.mark.parametrize("batch", [None, 1, 3])
def test_parzen_against_loop(batch):
    rng = np.random.default_rng(14)
    samples, test = rng.random((5, 3)), rng.random((4, 3))
    close(metrics.parzen_log_likelihood(samples, test, 0.3, batch=batch), parzen_reference(samples, test, 0.3))


def test_parzen_single_sample_closed_form_and_far_points():
    sigma, d = 0.2, 3
    sample, test = np.array([[0.1, 0.5, 0.9]]), np.array([[0.2, 0.4, 0.6], [50.0, 50.0, 50.0]])
    want = -((test - sample) ** 2).sum(axis=1) / (2 * sigma**2) - d / 2 * np.log(2 * np.pi * sigma**2)
    close(metrics.parzen_log_likelihood(sample, test, sigma), want)  # the far point does not underflow to -inf


def test_choose_parzen_sigma():
    rng = np.random.default_rng(15)
    samples, validation = rng.normal(size=(400, 2)) * 0.5, rng.normal(size=(200, 2)) * 0.5
    sigmas = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
    scores = [metrics.parzen_log_likelihood(samples, validation, s).mean() for s in sigmas]
    best = metrics.choose_parzen_sigma(samples, validation, sigmas)
    assert best == sigmas[int(np.argmax(scores))]
    assert best not in (sigmas[0], sigmas[-1])


# ------------------------------------------------------------------------------ sparse codes


CODES = np.array([[0.0, 0.5, 0.005, -0.3],
                  [0.0, 0.2, 0.02, -0.01],
                  [0.0, 0.9, 0.0, -1.0]])


def test_sparse_code_statistics():
    assert sparsity.l0(CODES) == pytest.approx((2 + 3 + 2) / 3)
    close(sparsity.unit_firing_rates(CODES), [0.0, 1.0, 1 / 3, 1.0])
    assert sparsity.dead_and_always_on(CODES) == (1, 2)
    assert sparsity.dead_and_always_on(CODES, threshold=0.001) == (1, 2)
    assert sparsity.l0(CODES, threshold=0.6) == pytest.approx(2 / 3)
    assert sparsity.dead_and_always_on(CODES)[0] == sparsity.code_stats(CODES)["dead_units"]
    assert sparsity.l0(CODES) == pytest.approx(4 * (1 - sparsity.code_stats(CODES)["near_zero"]))


def test_firing_rate_histogram():
    counts, edges = sparsity.firing_rate_histogram([0.0, 0.05, 0.5, 1.0, 1.0], bins=4)
    close(edges, [0.0, 0.25, 0.5, 0.75, 1.0])
    assert counts.tolist() == [2, 0, 1, 2]


# ------------------------------------------------------------------------------ blocks


def test_small_blocks_change_nothing(monkeypatch):
    rng = np.random.default_rng(16)
    a, b = rng.normal(size=(40, 3)), rng.normal(size=(30, 3))
    la, lb = rng.integers(0, 3, 40), rng.integers(0, 3, 30)
    x = rng.random((9, 5))

    def everything():
        return (metrics.knn_accuracy(a, la, b, lb, 3), metrics.mmd(a, b),
                metrics.reconstruction_errors(x, x[::-1]), metrics.parzen_log_likelihood(a, b, 0.7))

    big = everything()
    monkeypatch.setattr(metrics, "BLOCK", 7)
    small = everything()
    assert small[0] == big[0]
    close(small[1], big[1])
    assert small[2] == pytest.approx(big[2], rel=1e-12)
    close(small[3], big[3])
