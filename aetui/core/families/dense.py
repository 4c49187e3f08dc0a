"""Dense autoencoders: ordinary (`ae`), sparse (`sparse`) and nonnegative (`nonneg`).

One network, three penalty sets: L1 activity (`lam`) or KL sparsity (`beta`, `p`) on the code,
L2 weight decay (`weight_decay`) on the kernels, and for `nonneg` either the hard
non-negativity constraint on every kernel or the soft penalty `alpha`.
"""

from __future__ import annotations

import keras
from keras import ops

from aetui.core.families import losses, validation
from aetui.core.families.base import (
    Built,
    Knobs,
    apply,
    dense_stack,
    kernels,
)
from aetui.core.families.parts import PartsModel
from aetui.core.recipe import Recipe


class DenseAutoencoder(PartsModel):
    """Encoder and decoder with the recipe's reconstruction loss and code penalties."""

    def call(self, x, training=False):
        code = self.encoder(self.noisy(x), training=training)
        return {"code": code, "recon": self.decoder(code, training=training)}

    def loss_parts(self, x, outputs):
        loss, k = self.recipe.loss, self.knobs
        parts = {"recon": losses.reconstruction(x, outputs["recon"], loss["reconstruction"], loss["reduction"])}
        if loss["sparsity"] == "l1":
            parts["l1"] = k.lam * losses.l1_activity(outputs["code"], loss["l1_reduction"])
        elif loss["sparsity"] == "kl":
            parts["sparsity"] = k.beta * losses.kl_sparsity(outputs["code"], k.p, loss["kl_reduction"])
        if "weight_decay" in self.recipe.params:
            parts["l2"] = k.weight_decay * losses.l2_weights(kernels(self.encoder, self.decoder))
        if "alpha" in self.recipe.params:
            parts["nonneg"] = k.alpha * losses.negative_weights(kernels(self.encoder, self.decoder))
        return parts

    def whole_set_parts(self):
        """The code penalties, validated from the whole test set's statistics: the KL sparsity
        from each unit's mean activation over the set (a batch statistic: training also logs it
        over its epoch, `sparsity_epoch`), the L1 from the mean per image of the summed |code|
        (under `l1_reduction = "batch"`, times the training batch size, as the penalty trained)."""
        loss, k = self.recipe.loss, self.knobs
        if loss["sparsity"] == "kl":
            return {"sparsity": validation.SetPart(
                self.recipe.net["code"], lambda x, outputs: outputs["code"],
                lambda means: k.beta * losses.kl_of_means(means, k.p, loss["kl_reduction"]), batch_statistic=True)}
        if loss["sparsity"] == "l1":
            per_batch = loss["l1_reduction"] == "batch"
            return {"l1": validation.SetPart(
                1, lambda x, outputs: ops.sum(ops.abs(outputs["code"]), axis=-1, keepdims=True),
                lambda means: k.lam * means[0] * (float(self.train_batch_size) if per_batch else 1.0),
                batch_statistic=False)}
        return {}


def part_names(recipe: Recipe) -> tuple[str, ...]:
    """The loss parts a dense recipe reports, in order."""
    names = ["recon"]
    names += {"l1": ["l1"], "kl": ["sparsity"], "none": []}[recipe.loss["sparsity"]]
    names += ["l2"] if "weight_decay" in recipe.params else []
    names += ["nonneg"] if "alpha" in recipe.params else []
    return tuple(names)


def build(recipe: Recipe, input_dim: int, knobs: Knobs) -> Built:
    """Build and compile the dense autoencoder a recipe describes."""
    net = recipe.net
    constraint = keras.constraints.NonNeg() if recipe.kind == "nonneg" and recipe.loss["nonneg"] == "hard" else None
    x_in = keras.Input((input_dim,), name="image")
    hidden = apply(dense_stack(net["hidden"], "relu", constraint, "enc"), x_in)
    code = keras.layers.Dense(net["code"], activation=net["code_activation"], kernel_constraint=constraint,
                              name="code")(hidden)
    encoder = keras.Model(x_in, code, name="encoder")
    c_in = keras.Input((net["code"],), name="code_in")
    hidden = apply(dense_stack(net["hidden"][::-1], "relu", constraint, "dec"), c_in)
    out = keras.layers.Dense(input_dim, activation="sigmoid", kernel_constraint=constraint, name="recon")(hidden)
    decoder = keras.Model(c_in, out, name="decoder")
    parts = part_names(recipe)
    model = DenseAutoencoder(encoder, decoder, knobs, recipe, parts, name=recipe.kind)
    model.compile(optimizer=knobs.make_optimizer(recipe.train["optimizer"]),
                  steps_per_execution=recipe.train["steps_per_execution"],
                  jit_compile=recipe.train["jit_compile"])
    model.optimizer.build(encoder.trainable_variables + decoder.trainable_variables)
    return Built(model, encoder, decoder, knobs, parts)
