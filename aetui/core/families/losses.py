"""Loss terms of the model zoo as small `keras.ops` functions, each checked against numpy in tests.

Every term is a scalar averaged over the batch; the recipe chooses how pixels are reduced:
`mean` is the per-pixel mean (Keras's default), `sum` the per-image sum (the literature's
convention, and the seed VAE's `input_dim x mean BCE`). With `sum`, MSE is half the sum of
squares, as in Ng's sparse autoencoder notes.
"""

from __future__ import annotations

from keras import ops

EPS = 1e-7


def reconstruction(x, recon, kind: str, reduction: str):
    """Binary cross-entropy (`bce`) or squared error (`mse`) between images and reconstructions."""
    if kind == "bce":
        r = ops.clip(recon, EPS, 1.0 - EPS)
        per_pixel = -(x * ops.log(r) + (1.0 - x) * ops.log(1.0 - r))
        half = 1.0
    else:
        per_pixel = ops.square(x - recon)
        half = 0.5
    if reduction == "mean":
        return ops.mean(per_pixel)
    return half * ops.mean(ops.sum(per_pixel, axis=-1))


def kl_sparsity(code, p, reduction: str):
    """KL(p || mean activation of each unit over the batch), summed or averaged over the code units."""
    return kl_of_means(ops.mean(code, axis=0), p, reduction)


def kl_of_means(means, p, reduction: str):
    """KL(p || each unit's mean activation `means`), summed or averaged over the code units (the
    means over a batch, or over a whole set: `families.validation`)."""
    rho = ops.clip(means, EPS, 1.0 - EPS)
    kl = p * ops.log(p / rho) + (1.0 - p) * ops.log((1.0 - p) / (1.0 - rho))
    return ops.sum(kl) if reduction == "sum" else ops.mean(kl)


def l1_activity(code, reduction: str = "image"):
    """Sum of absolute code activations per image, averaged over the batch (`image`: as Keras 3.14+
    and tf.keras apply an l1 activity regularizer, divided by the batch size), or summed over the
    batch too (`batch`: as standalone Keras 2.0-2.3, the seed's, and Keras 3.0-3.13 apply it: `lam`
    weighs batch-size times more)."""
    per_image = ops.sum(ops.abs(code), axis=-1)
    return ops.sum(per_image) if reduction == "batch" else ops.mean(per_image)


def pixel_errors(x, recon):
    """(squared error, binary cross-entropy) of a batch, each the mean over its images and pixels,
    pixels in [0, 1] (recon clipped to [EPS, 1 - EPS] for the log): the figures that compare
    families, whatever their own loss."""
    r = ops.clip(recon, EPS, 1.0 - EPS)
    bce = -(x * ops.log(r) + (1.0 - x) * ops.log(1.0 - r))
    return ops.mean(ops.square(x - recon)), ops.mean(bce)


def l2_weights(kernels):
    """Sum of squared kernel weights (Keras's `l2` regularizer, before its factor)."""
    return ops.sum(ops.stack([ops.sum(ops.square(k)) for k in kernels]))


def negative_weights(kernels):
    """Half the sum of squared negative weights (Hosseini-Asl et al.'s nonnegativity penalty)."""
    return 0.5 * ops.sum(ops.stack([ops.sum(ops.square(ops.minimum(k, 0.0))) for k in kernels]))


def gaussian_kl(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)), summed over latent dimensions, averaged over the batch."""
    per_dim = 0.5 * (ops.square(mean) + ops.exp(log_var) - log_var - 1.0)
    return ops.mean(ops.sum(per_dim, axis=-1))
