"""Evaluation metrics that papers report for autoencoders, in numpy only.

Reconstruction error; k-nearest-neighbour and linear-probe accuracy of codes; the VAE's ELBO and
importance-weighted bound (Burda et al. 2015) under a Bernoulli decoder, and its active units; the
MMD between codes and a prior sample and the Gaussian Parzen-window log-likelihood (Goodfellow et
al. 2014, Makhzani et al. 2015) for the AAE. (Firing statistics of sparse codes: `sparsity`.)

A decoder is any callable from an (N, K) array of codes to (N, D) pixel probabilities in (0, 1),
so nothing here imports Keras. Log-likelihoods are in nats. Images are (N, D) floats in [0, 1]
or uint8 0..255 (scaled by 1/255). Pairwise work runs in blocks of at most `BLOCK` float64
entries, so memory stays bounded (tens of MB) however many codes there are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

EPS = 1e-7
"""Probabilities are clipped to [EPS, 1 - EPS] before a log, as in `families.losses`."""
BLOCK = 4_000_000
"""Most float64 entries in one temporary block (a slice of a distance matrix): 32 MB."""
MMD_SCALES = (0.2, 0.5, 1.0, 2.0, 5.0)
"""Default MMD bandwidths, as multiples of the median pairwise distance of the pooled sample."""
PARZEN_SIGMAS = tuple(np.logspace(-1.0, 0.0, 10))
"""Default Parzen bandwidths searched on validation data: 0.1 .. 1, as in Goodfellow et al.'s code."""
LOG_2PI = float(np.log(2.0 * np.pi))

Decoder = Callable[[np.ndarray], np.ndarray]


def _pixels(a) -> np.ndarray:
    """An array as float64; uint8 images are scaled by 1/255."""
    a = np.asarray(a)
    return a.astype(np.float64) / 255.0 if a.dtype == np.uint8 else a.astype(np.float64)


def _flat(a) -> np.ndarray:
    """An array with one row per item (images of any shape become (N, D)), dtype unchanged."""
    a = np.asarray(a)
    return a.reshape(len(a), -1)


def _row_blocks(n: int, width: int) -> Iterator[slice]:
    """Slices over `n` rows, each holding at most BLOCK / width rows (at least one)."""
    step = max(1, BLOCK // max(width, 1))
    for start in range(0, n, step):
        yield slice(start, min(start + step, n))


def _sq_dists(a: np.ndarray, b: np.ndarray, b_sq: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of a (n, K) and b (m, K); b_sq = |b_j|^2."""
    return np.maximum((a * a).sum(axis=1)[:, None] + b_sq[None, :] - 2.0 * (a @ b.T), 0.0)


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    """log(sum(exp(a))) along `axis`, shifted by the maximum so nothing overflows or underflows."""
    top = a.max(axis=axis, keepdims=True)
    return np.log(np.exp(a - top).sum(axis=axis)) + np.squeeze(top, axis=axis)


def bernoulli_log_likelihood(x, probs) -> np.ndarray:
    """log p(x | probs) summed over the last axis (the pixels): sum x log r + (1 - x) log(1 - r).

    r is clipped to [EPS, 1 - EPS]; continuous x in [0, 1] uses the same form. This is minus the
    per-image BCE, one value per image.
    """
    x, r = _pixels(x), np.clip(_pixels(probs), EPS, 1.0 - EPS)
    return (x * np.log(r) + (1.0 - x) * np.log1p(-r)).sum(axis=-1)


def reconstruction_errors(x, recon) -> dict[str, float]:
    """Errors between images x and reconstructions recon, both (N, D), over the whole set.

    `mse_pixel`: squared error averaged over images and pixels. `mse_image`: squared error summed
    over the pixels of each image, averaged over images (the full sum, not the training loss's
    half). `bce_pixel` / `bce_image`: binary cross-entropy (recon clipped to [EPS, 1 - EPS]) averaged
    over images and pixels / summed over pixels and averaged over images.
    """
    x, recon = _flat(x), _flat(recon)
    n, d = x.shape
    squared = bce = 0.0
    for rows in _row_blocks(n, d):
        xs, rs = _pixels(x[rows]), _pixels(recon[rows])
        squared += float(((xs - rs) ** 2).sum())
        bce -= float(bernoulli_log_likelihood(xs, rs).sum())
    return {"mse_pixel": squared / (n * d), "mse_image": squared / n,
            "bce_pixel": bce / (n * d), "bce_image": bce / n}


def knn_accuracy(train_codes, train_labels, test_codes, test_labels, k: int = 5) -> float:
    """Share of test codes whose label is the majority vote of their k nearest train codes.

    Distance is Euclidean; neighbours are ordered by (distance, train index). A tied vote goes to
    the tied label met first in that order, so to the nearest neighbour's label when it is tied.
    Distances are computed in blocks of test rows (at most BLOCK entries each).
    """
    train, test = _flat(train_codes).astype(np.float64), _flat(test_codes).astype(np.float64)
    classes, train_class = np.unique(np.asarray(train_labels), return_inverse=True)
    k, n_classes = min(k, len(train)), len(classes)
    train_sq = (train * train).sum(axis=1)
    predicted = np.empty(len(test), dtype=np.int64)
    for rows in _row_blocks(len(test), len(train)):
        d = _sq_dists(test[rows], train, train_sq)
        near = np.argpartition(d, k - 1, axis=1)[:, :k]
        order = np.lexsort((near, np.take_along_axis(d, near, axis=1)), axis=1)
        votes = train_class[np.take_along_axis(near, order, axis=1)]
        n = len(votes)
        at = np.arange(n)[:, None] * n_classes + votes
        counts = np.bincount(at.ravel(), minlength=n * n_classes).reshape(n, n_classes)
        first = np.full(n * n_classes, k)
        for j in range(k - 1, -1, -1):
            first[at[:, j]] = j
        predicted[rows] = np.argmax(counts * (k + 1) - first.reshape(n, n_classes), axis=1)
    return float(np.mean(classes[predicted] == np.asarray(test_labels)))


def linear_probe_accuracy(train_codes, train_labels, test_codes, test_labels,
                          max_iter: int = 1000, c: float = 1.0, seed: int = 0) -> float:
    """Test accuracy of a multinomial logistic regression trained on the train codes.

    Inputs are standardised with the train codes' mean and deviation (scikit-learn's
    StandardScaler), then fitted with L2 penalty `c` (sklearn's C), lbfgs and random_state `seed`.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter, random_state=seed))
    probe.fit(_flat(train_codes), np.asarray(train_labels))
    return float(probe.score(_flat(test_codes), np.asarray(test_labels)))


def gaussian_kl_per_image(mean, log_var) -> np.ndarray:
    """KL(N(mean, exp(log_var)) || N(0, I)) per image (N,): summed over latent dimensions."""
    mean, log_var = np.asarray(mean, np.float64), np.asarray(log_var, np.float64)
    return 0.5 * (mean**2 + np.exp(log_var) - log_var - 1.0).sum(axis=1)


def _sampled(x, mean, log_var, decode: Decoder, rng: np.random.Generator, k: int, batch: int):
    """Yield (rows, log p(x|z), log p(z) - log q(z|x)), each (n, k), for k draws z ~ q(z|x) per image.

    Normals are drawn image by image in row order (k x K each), so the draws, and the results, do
    not depend on `batch`; `decode` never sees more than `batch` codes at once.
    """
    x = _flat(x)
    mean, log_var = np.asarray(mean, np.float64), np.asarray(log_var, np.float64)
    dim, batch = mean.shape[1], max(1, batch)
    step = max(1, batch // k)
    for rows in (slice(start, min(start + step, len(x))) for start in range(0, len(x), step)):
        m, lv = mean[rows][:, None, :], log_var[rows][:, None, :]
        eps = rng.standard_normal((len(m), k, dim))
        z = m + np.exp(0.5 * lv) * eps
        log_q = -0.5 * (eps**2 + lv + LOG_2PI).sum(axis=-1)
        log_p = -0.5 * (z**2 + LOG_2PI).sum(axis=-1)
        flat, owner = z.reshape(-1, dim), np.repeat(np.arange(rows.start, rows.stop), k)
        ll = np.concatenate([bernoulli_log_likelihood(x[owner[s:s + batch]], decode(flat[s:s + batch]))
                             for s in range(0, len(flat), batch)])
        yield rows, ll.reshape(-1, k), log_p - log_q


def elbo(x, mean, log_var, decode: Decoder, rng: np.random.Generator, samples: int = 1,
         batch: int = 1000) -> np.ndarray:
    """Per-image ELBO (N,) in nats: E_q[log p(x|z)] - KL(q(z|x) || N(0, I)).

    log p(x|z) is the Bernoulli log-likelihood summed over pixels, averaged over `samples` draws
    z = mean + exp(log_var / 2) * eps; the KL is analytic, summed over latent dimensions.
    """
    out = np.empty(len(mean))
    for rows, ll, _ in _sampled(x, mean, log_var, decode, rng, samples, batch):
        out[rows] = ll.mean(axis=1)
    return out - gaussian_kl_per_image(mean, log_var)


def iwae_bound(x, mean, log_var, decode: Decoder, rng: np.random.Generator, k: int = 100,
               batch: int = 1000) -> np.ndarray:
    """Per-image importance-weighted bound (N,) in nats (Burda et al. 2015).

    log((1/k) sum_j p(x|z_j) p(z_j) / q(z_j|x)) with z_j ~ q(z|x), p(z) = N(0, I), the densities
    multiplied over pixels / latent dimensions and the mean taken over the k draws with logsumexp.
    It is a lower bound on log p(x) that tightens as k grows; k = 1 is a one-sample ELBO estimate.
    """
    out = np.empty(len(mean))
    for rows, ll, log_ratio in _sampled(x, mean, log_var, decode, rng, k, batch):
        out[rows] = _logsumexp(ll + log_ratio, axis=1) - np.log(k)
    return out


def active_units_burda(mean, threshold: float = 0.01) -> int:
    """Latent dimensions whose posterior mean varies over the data: Var_x(E_q[z_d]) > threshold.

    The variance is over images (ddof 0), one per dimension (Burda et al. 2015).
    """
    return int((np.asarray(mean, np.float64).var(axis=0) > threshold).sum())


def _median_distance(x: np.ndarray, y: np.ndarray, most: int = 500) -> float:
    """Median Euclidean distance between distinct points of the pooled sample (at most `most`
    evenly spaced rows of each), or 1 when it is zero."""
    pick = [a[np.linspace(0, len(a) - 1, min(len(a), most)).astype(int)] for a in (x, y)]
    pooled = np.vstack(pick)
    d = _sq_dists(pooled, pooled, (pooled * pooled).sum(axis=1))[np.triu_indices(len(pooled), 1)]
    median = float(np.sqrt(np.median(d)))
    return median if median > 0 else 1.0


def _kernel_sum(a: np.ndarray, b: np.ndarray, widths: Sequence[float]) -> float:
    """Sum over all pairs (a_i, b_j) of sum_h exp(-|a_i - b_j|^2 / (2 h^2))."""
    b_sq, total = (b * b).sum(axis=1), 0.0
    for rows in _row_blocks(len(a), len(b)):
        d = _sq_dists(a[rows], b, b_sq)
        total += sum(float(np.exp(d * (-0.5 / (h * h))).sum()) for h in widths)
    return total


def mmd(x, y, bandwidths: Sequence[float] | None = None, scales: Sequence[float] = MMD_SCALES) -> float:
    """Unbiased squared MMD between samples x (N, K) and y (M, K), N, M >= 2.

    The kernel is a sum of Gaussian RBFs exp(-|a - b|^2 / (2 h^2)), one per bandwidth h. Without
    `bandwidths`, h = scale x the median pairwise distance of the pooled sample (up to 500 evenly
    spaced rows of each), one h per entry of `scales`. MMD^2 = mean of k(x_i, x_j) over i != j
    + mean of k(y_i, y_j) over i != j - 2 x mean of k(x_i, y_j) over all pairs; it can be
    slightly negative when the distributions agree.
    """
    x, y = _flat(x).astype(np.float64), _flat(y).astype(np.float64)
    widths = list(bandwidths) if bandwidths is not None else [s * _median_distance(x, y) for s in scales]
    n, m, h = len(x), len(y), len(widths)
    xx = (_kernel_sum(x, x, widths) - n * h) / (n * (n - 1))
    yy = (_kernel_sum(y, y, widths) - m * h) / (m * (m - 1))
    return float(xx + yy - 2.0 * _kernel_sum(x, y, widths) / (n * m))


def _parzen(samples, test, sigmas: Sequence[float], batch: int | None) -> np.ndarray:
    """Parzen log-densities of each test point for each sigma: (len(sigmas), M)."""
    samples, test = _pixels(_flat(samples)), _pixels(_flat(test))
    sigmas = np.asarray(sigmas, np.float64)
    s_sq, out = (samples * samples).sum(axis=1), np.empty((len(sigmas), len(test)))
    blocks = (_row_blocks(len(test), len(samples)) if batch is None
              else (slice(i, i + batch) for i in range(0, len(test), batch)))
    for rows in blocks:
        d = _sq_dists(test[rows], samples, s_sq)
        for i, sigma in enumerate(sigmas):
            out[i, rows] = _logsumexp(d * (-0.5 / sigma**2), axis=1)
    norm = np.log(len(samples)) + 0.5 * samples.shape[1] * (LOG_2PI + 2.0 * np.log(sigmas))
    return out - norm[:, None]


def parzen_log_likelihood(samples, test, sigma: float, batch: int | None = None) -> np.ndarray:
    """log p(test_i) (M,) in nats under an isotropic Gaussian Parzen window on `samples` (S, D).

    log((1/S) sum_s N(test_i; samples_s, sigma^2 I)), the density a product over the D
    dimensions, the mean over samples taken with logsumexp. `batch` test rows are handled at a
    time (default: as many as fit in BLOCK entries of the M x S distance matrix).
    """
    return _parzen(samples, test, [sigma], batch)[0]


def choose_parzen_sigma(samples, validation, sigmas: Sequence[float] = PARZEN_SIGMAS,
                        batch: int | None = None) -> float:
    """The sigma among `sigmas` with the highest mean Parzen log-likelihood of `validation`
    (mean over validation points), the legacy protocol of Goodfellow et al. / Makhzani et al."""
    scores = _parzen(samples, validation, sigmas, batch).mean(axis=1)
    return float(np.asarray(sigmas, np.float64)[int(np.argmax(scores))])
