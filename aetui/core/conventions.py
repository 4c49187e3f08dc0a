"""The loss conventions of a recipe in words: what each part sums and what it averages, the
recipe's `[loss]` settings made explicit. One home for them: the epoch line, the session view, the
slider help and the README's table say what this says."""

from __future__ import annotations

from aetui.core.recipe import Recipe

PART_OF = {"lam": "l1", "beta": ("kl", "sparsity"), "p": "sparsity", "weight_decay": "l2", "alpha": "nonneg"}
"""The loss part each hyperparameter weighs (beta: the VAE's KL, or the KL sparsity)."""


def of_parts(recipe: Recipe) -> dict[str, str]:
    """What each loss part of `recipe` sums and what it averages, by part name, in words: the
    recipe's `[loss]` conventions made explicit (the formulas are `families.losses`'s; the
    README's table sets them beside Keras 2's, Keras 3's and the papers'). Every part is averaged
    over the images of a batch unless it says otherwise."""
    loss, kind = recipe.loss, recipe.kind
    pixels = "per-pixel mean" if loss["reduction"] == "mean" else \
        ("per-image sum" if loss["reconstruction"] == "bce" else "half the per-image sum")
    out = {"recon": f"{loss['reconstruction'].upper()}, {pixels}"}
    if kind in ("ae", "sparse") and loss["sparsity"] == "l1":
        out["l1"] = ("lam x sum |code| per image (as Keras 3.14+ and tf.keras divide activity penalties)"
                     if loss["l1_reduction"] == "image" else
                     "lam x sum |code| over the batch and units (as Keras 2.0-2.3 and Keras 3.0-3.13, the seed's)")
    if kind in ("sparse", "nonneg") and loss["sparsity"] == "kl":
        out["sparsity"] = "beta x KL(p || batch-mean activation), " + \
            ("summed over units (Ng)" if loss["kl_reduction"] == "sum" else "mean over units")
    if "weight_decay" in recipe.params:
        out["l2"] = "weight_decay x sum w^2 over kernels (Keras l2)"
    if kind == "nonneg":
        out["nonneg"] = ("alpha/2 x sum min(w, 0)^2 over kernels" if loss["nonneg"] == "soft"
                         else "hard constraint: weights clipped at 0 after each step")
    if kind == "vae":
        out["kl"] = "beta x KL(q(z|x) || N(0, I)) summed over latent dims"
    if kind == "aae":
        out["disc"] = "BCE of the discriminator on prior samples and codes, batch mean"
        out["gen"] = "BCE of the discriminator fooled by the codes, batch mean"
    return out


def line(recipe: Recipe) -> str:
    """`of_parts` in one line: `Loss: recon BCE, per-pixel mean · l1 lam x ...`."""
    return "Loss (each part per image, averaged over the batch unless said): " + \
        " · ".join(f"{part} {text}" for part, text in of_parts(recipe).items())


def of_hparam(recipe: Recipe, name: str) -> str:
    """The convention of the loss part the hyperparameter `name` weighs, as `part: what it sums`
    ("" where it weighs none, e.g. the learning rate)."""
    found = of_parts(recipe)
    parts = PART_OF.get(name, ())
    for part in (parts,) if isinstance(parts, str) else parts:
        if part in found:
            return f"{part}: {found[part]}"
    return ""
