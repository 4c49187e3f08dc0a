"""The loss conventions of a recipe in words: what each part sums and what it averages, the
recipe's `[loss]` settings made explicit. One home for them: the epoch line, the session view, the
slider help and the README's table say what this says."""

from __future__ import annotations

from aetui.core.families.registry import FAMILIES, family
from aetui.core.recipe import Recipe

EPOCH = "_epoch"
"""The suffix of a training figure computed as validation computes it, over the epoch's batches
(`sparsity_epoch`: KL(p || the mean activation over the epoch's training images))."""
PART_OF = {"lam": "l1", "beta": ("kl", "sparsity"), "p": "sparsity", "weight_decay": "l2", "alpha": "nonneg"}
"""The loss part each hyperparameter weighs (beta: the VAE's KL, or the KL sparsity)."""


def of_parts(recipe: Recipe) -> dict[str, str]:
    """What each loss part of `recipe` sums and what it averages, by part name, in words: the
    recipe's `[loss]` conventions made explicit (the formulas are `families.losses`'s; the
    README's table sets them beside Keras 2's, Keras 3's and the papers'). Every part is averaged
    over the images of a batch unless it says otherwise."""
    loss, fam = recipe.loss, family(recipe.kind)
    pixels = "per-pixel mean" if loss["reduction"] == "mean" else \
        ("per-image sum" if loss["reconstruction"] == "bce" else "half the per-image sum")
    out = {"recon": f"{loss['reconstruction'].upper()}, {pixels}"}
    if "noise" in recipe.params:
        out["recon"] += " of the clean image, reconstructed from it with Gaussian noise of sd `noise` (clipped to [0, 1])"
    if "l1" in fam.penalties and loss["sparsity"] == "l1":
        out["l1"] = ("lam x sum |code| per image (as Keras 3.14+ and tf.keras divide activity penalties)"
                     if loss["l1_reduction"] == "image" else
                     "lam x sum |code| over the batch and units (as Keras 2.0-2.3 and Keras 3.0-3.13, the seed's; "
                     "validated as the batch-size multiple of the whole test set's mean per image)")
    if "kl" in fam.penalties and loss["sparsity"] == "kl":
        out["sparsity"] = "beta x KL(p || mean activation: over each batch in training, over the whole test " + \
            "set in validation), " + ("summed over units (Ng)" if loss["kl_reduction"] == "sum" else "mean over units")
    if "weight_decay" in recipe.params:
        out["l2"] = "weight_decay x sum w^2 over kernels (Keras l2)"
    out.update(fam.parts(loss))
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


def figures(recipe: Recipe, train_images: int | None = None, test_images: int | None = None) -> dict[str, str]:
    """What each figure a run of `recipe` records is, by its key in the history, in words, with the
    real counts (`session.json` keeps them; views label their figures with them): the objective,
    the per-pixel errors sessions are ranked by, and each penalty built on a batch statistic in
    the definition training optimises and in the one of a whole set."""
    test = f"the {test_images:,} test digits" if test_images else "the test digits"
    train = f"the epoch's {train_images:,} training digits" if train_images else "the epoch's training digits"
    fam = family(recipe.kind)
    through = fam.through
    if "noise" in recipe.params:
        through += ", from inputs with Gaussian noise at the level in force (denoising), against the clean digits"
    out = {"val_loss": f"the objective on {test}: the sum of its val_ parts",
           "test_mse_pixel": f"squared error per pixel over {test}, pixels in [0, 1]{through}",
           "test_bce_pixel": f"binary cross-entropy per pixel over {test}, pixels in [0, 1]{through}"}
    loss = recipe.loss
    if "kl" in fam.penalties and loss["sparsity"] == "kl":
        units = "summed over units" if loss["kl_reduction"] == "sum" else "mean over units"
        out["sparsity"] = f"β·KL(p ‖ each batch's mean activation), {units}, mean over the epoch's batches " \
                          "(what training minimises)"
        out["sparsity_epoch"] = f"{kl_name(train)}, {units}"
        out["val_sparsity"] = f"{kl_name(test)}, {units}"
    if "l1" in fam.penalties and loss["sparsity"] == "l1" and loss["l1_reduction"] == "batch":
        out["val_l1"] = f"lam x batch size x the mean over {test} of sum |code| per image"
    return out


def kl_name(over: str) -> str:
    """`β·KL(p ‖ mean activation over the 10,000 test digits)`, for the set `over` names."""
    return f"β·KL(p ‖ mean activation over {over})"


def settings_that_matter(recipe: dict) -> set[str]:
    """The settings (as compare names them: `loss.kl_reduction`, `beta`) that change what a model of
    this recipe (its stored data) does: its net, its reconstruction and the penalties of its family,
    its hyperparameters and run settings; not the `[loss]` keys of other families (an `ae-32`'s
    `loss.kl_reduction` is there, and does nothing)."""
    loss, kind = recipe.get("loss") or {}, recipe.get("kind")
    keys = {"recipe", "kind", "data", "epochs", "batch_size", "loss.reconstruction", "loss.reduction",
            *(f"net.{k}" for k in recipe.get("net") or {}), *(recipe.get("params") or {})}
    if isinstance(kind, str) and kind in FAMILIES:
        keys |= FAMILIES[kind].loss_keys(loss)
    return keys
