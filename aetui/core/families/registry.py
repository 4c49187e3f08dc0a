"""What each model family is, declared once: its name and description, the recipe checks of its
kind, its live hyperparameters and their help written for it, its loss parts in words, the `[loss]`
keys that matter to it, its per-epoch figures and the title of their panel, its weights beyond
the mirrored dense layers, and the module that builds it. Everything outside `families/` asks
`family(kind)` instead of testing a kind's name.

Declarations only: no Keras, no recipe object (a family's checks are handed the recipe's
sections), nothing of the store; the recipe's loader asks this module, so it stays this light.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

Sections = dict[str, Any]


def _no_check(loss: Sections, net: Sections, fail: Callable[[str, str], Exception]) -> None:
    return None


@dataclass(frozen=True)
class Family:
    """One model family. `module` names the module of `aetui.core.families` whose
    `build(recipe, input_dim, knobs)` builds it."""

    name: str
    description: str
    module: str
    tunables: Callable[[Sections], list[str]]
    """The live hyperparameters (besides the learning rate) given the recipe's `[loss]`."""
    check: Callable[[Sections, Sections, Callable[[str, str], Exception]], None] = _no_check
    """Raises `fail(field, why)` if the recipe's `[loss]` and `[net]` do not make this family."""
    penalties: frozenset[str] = frozenset()
    """The code penalties `[loss] sparsity` may choose for it: `l1`, `kl`."""
    parts: Callable[[Sections], dict[str, str]] = lambda loss: {}
    """Its own loss parts (beyond reconstruction, code penalty and L2) in words, by part name."""
    loss_keys: Callable[[Sections], set[str]] = lambda loss: set()
    """The `[loss]` keys (as compare names them) that change what a model of it does, beyond
    the reconstruction's."""
    figures: tuple[str, ...] = ("mean_activation", "near_zero", "l0", "dead_units", "first_two_zero")
    """The per-epoch figures that mean something for it."""
    evaluation: frozenset[str] = frozenset()
    """The `aetui eval` figures beyond every model's: `posterior` (ELBO, IWAE bound, KL, active
    units: a Gaussian posterior's) or `prior` (MMD to the prior, Parzen likelihood)."""
    stats_title: str = "sparsity"
    """The title of the panel those figures stand in."""
    through: str = ""
    """How its reconstructions are made, where that needs saying (the VAE's posterior mean)."""
    weights: Callable[[Sections, int], int] = lambda net, input_dim: _dense_weights(net, input_dim)
    """How many weights its network has, given the recipe's `[net]` and the pixels of an image."""
    denoises: bool = True
    """Whether it takes `noise` in `[params]` (denoising: noisy inputs, clean targets)."""
    help: dict[str, str] = field(default_factory=dict)
    """What a hyperparameter does in this family, where that differs from its general help."""

    def help_of(self, spec: Any) -> str:
        """What the hyperparameter `spec` (an `hparams.HParam`) does in this family."""
        return self.help.get(spec.name, spec.help)


def _sparsity_keys(loss: Sections) -> set[str]:
    return {"loss.sparsity"} | {"kl": {"loss.kl_reduction"}, "l1": {"loss.l1_reduction"}}.get(loss.get("sparsity"), set())


def _penalty_tunables(loss: Sections) -> list[str]:
    return {"l1": ["lam"], "kl": ["beta", "p"], "none": []}[loss["sparsity"]] + ["weight_decay"]


def _check_sparse(loss: Sections, net: Sections, fail) -> None:
    if loss["sparsity"] == "none":
        raise fail("[loss] sparsity", "a sparse autoencoder needs 'l1' or 'kl'")


def _check_nonneg(loss: Sections, net: Sections, fail) -> None:
    if loss["sparsity"] != "kl":
        raise fail("[loss] sparsity", "the nonnegative autoencoder is the KL-sparse one: set 'kl'")


def _no_sparsity(kind: str):
    def check(loss: Sections, net: Sections, fail) -> None:
        if loss["sparsity"] != "none":
            raise fail("[loss] sparsity", f"not available for kind {kind!r}; set 'none'")
    return check


def _check_aae(loss: Sections, net: Sections, fail) -> None:
    _no_sparsity("aae")(loss, net, fail)
    if loss["prior"] == "mixture" and net["code"] != 2:
        raise fail("[net] code", "the mixture-of-10-Gaussians prior is 2-D: set code = 2")


def _dense_weights(net: Sections, input_dim: int) -> int:
    sizes = [input_dim, *net["hidden"], net["code"]]
    return 2 * sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def _aae_weights(net: Sections, input_dim: int) -> int:
    width = net["hidden"][-1] if net["hidden"] else 64
    return _dense_weights(net, input_dim) + net["code"] * width + width * width + width + width + 1


def _vae_weights(net: Sections, input_dim: int) -> int:
    before = net["hidden"][-1] if net["hidden"] else input_dim
    return _dense_weights(net, input_dim) + before * net["code"] + net["code"]


MAX_CONVOLUTIONS = 4
"""The most stride-2 convolutions a convolutional family takes (a 28-pixel side divides by 4, not 8)."""


def _check_conv(kind: str):
    def check(loss: Sections, net: Sections, fail) -> None:
        if not 1 <= len(net["hidden"]) <= MAX_CONVOLUTIONS:
            raise fail("[net] hidden", f"{kind} takes the filters of 1 to {MAX_CONVOLUTIONS} stride-2 convolutions, "
                                       f"e.g. [32, 64]; got {len(net['hidden'])}")
        if kind == "conv-vae":
            _no_sparsity(kind)(loss, net, fail)
    return check


def _conv_weights(dense: int):
    def count(net: Sections, input_dim: int) -> int:
        filters, code = list(net["hidden"]), net["code"]
        small = max(math.isqrt(input_dim), 1) // 2 ** len(filters)
        flat = small * small * (filters[-1] if filters else 1)
        total, channels = 0, 1
        for n in filters:  # the encoder's convolutions
            total, channels = total + 9 * channels * n + n, n
        total += flat * dense + dense + 2 * (dense * code + code) if dense else flat * code + code
        total += code * flat + flat  # the decoder's dense layer
        for n in filters[::-1]:  # its transposed convolutions, then the one to the image
            total, channels = total + 9 * channels * n + n, n
        return total + 9 * channels + 1
    return count


KL_SPARSITY_HELP = ("sparsity weight: how much the KL sparsity penalty, KL(p || each unit's mean activation), "
                    "counts against the reconstruction")

FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("ae", "the ordinary dense autoencoder (an optional L1 or KL penalty on its code)", "dense",
           _penalty_tunables, penalties=frozenset({"l1", "kl"}), loss_keys=_sparsity_keys,
           help={"beta": KL_SPARSITY_HELP}),
    Family("sparse", "the sparse autoencoder: an L1 or KL penalty on its code", "dense",
           _penalty_tunables, _check_sparse, penalties=frozenset({"l1", "kl"}), loss_keys=_sparsity_keys,
           help={"beta": KL_SPARSITY_HELP}),
    Family("nonneg", "the nonnegative, KL-sparse autoencoder (weights held at or above 0, hard or soft)", "dense",
           lambda loss: ["beta", "p"] + (["alpha"] if loss["nonneg"] == "soft" else []), _check_nonneg,
           penalties=frozenset({"kl"}),
           parts=lambda loss: {"nonneg": "alpha/2 x sum min(w, 0)^2 over kernels" if loss["nonneg"] == "soft"
                               else "hard constraint: weights clipped at 0 after each step"},
           loss_keys=lambda loss: _sparsity_keys(loss) | {"loss.nonneg"}, help={"beta": KL_SPARSITY_HELP}),
    Family("vae", "the variational autoencoder: a Gaussian posterior, a KL term against N(0, I)", "vae",
           lambda loss: ["beta"], _no_sparsity("vae"),
           parts=lambda loss: {"kl": "beta x KL(q(z|x) || N(0, I)) summed over latent dims"},
           figures=("active_units",), evaluation=frozenset({"posterior"}), stats_title="latents", through=" (reconstructed from the posterior mean)",
           weights=_vae_weights,
           help={"beta": "weight of the VAE's KL term, KL(q(z|x) || N(0, I)), against the reconstruction"}),
    Family("aae", "the adversarial autoencoder: a discriminator holds its codes to a prior", "aae",
           lambda loss: [], _check_aae,
           parts=lambda loss: {"disc": "BCE of the discriminator on prior samples and codes, batch mean",
                               "gen": "BCE of the discriminator fooled by the codes, batch mean"},
           loss_keys=lambda loss: {"loss.prior"}, figures=("disc_acc",), stats_title="adversary", denoises=False,
           evaluation=frozenset({"prior"}),
           weights=_aae_weights),
    Family("conv-ae", "the convolutional autoencoder (the Keras blog's): stride-2 3x3 convolutions of [net] "
           "hidden filters, a dense code, transposed convolutions back", "conv",
           _penalty_tunables, _check_conv("conv-ae"), penalties=frozenset({"l1", "kl"}), loss_keys=_sparsity_keys,
           weights=_conv_weights(0), help={"beta": KL_SPARSITY_HELP}),
    Family("conv-vae", "the Keras example's convolutional VAE: stride-2 3x3 convolutions, a dense layer of 16, "
           "a Gaussian posterior, its mirror to decode", "conv",
           lambda loss: ["beta"], _check_conv("conv-vae"),
           parts=lambda loss: {"kl": "beta x KL(q(z|x) || N(0, I)) summed over latent dims"},
           figures=("active_units",), evaluation=frozenset({"posterior"}), stats_title="latents",
           through=" (reconstructed from the posterior mean)", weights=_conv_weights(16),
           help={"beta": "weight of the VAE's KL term, KL(q(z|x) || N(0, I)), against the reconstruction"}),
)}
"""Every family by name, in the order `aetui recipes` and errors list them."""

KINDS = tuple(FAMILIES)


def figure_keys(kind: object) -> tuple[str, ...]:
    """The per-epoch figures of the family `kind` (a stored session's: a code's figures where the
    kind is none this version knows)."""
    return FAMILIES[kind].figures if isinstance(kind, str) and kind in FAMILIES else Family.figures


def family(kind: str) -> Family:
    """The family named `kind` (a `KeyError` naming the known ones if there is none)."""
    try:
        return FAMILIES[kind]
    except KeyError:
        raise KeyError(f"unknown model family {kind!r} (one of {', '.join(KINDS)})") from None
