"""The convolutional families, through the registry like any other: each recipe trains an epoch on
the digits, reopens with its snapshot (the conv VAE's 2-D scatter and sweep), counts its weights
exactly, and a recipe they cannot build is refused in one line naming the field."""

import numpy as np
import pytest

from aetui.core import recipe as recipes_module
from aetui.core.errors import AetuiError
from aetui.core.families import build, family, weight_count
from aetui.core.store import sessions
from aetui.core.training import trainer


@pytest.mark.parametrize("name", ["conv-ae", "conv-vae"])
def test_each_conv_recipe_trains_an_epoch_and_reopens(name, recipes, digits, store):
    r = recipes[name]
    path = trainer.train(r, digits, store, epochs=1, batch_size=64, batch_interval=0)
    session = sessions.open_session(path)
    assert session.status == "finished" and session.epochs_done == 1 and not session.problems
    epoch = session.epochs[0]
    for part in session.meta.parts:
        assert np.isfinite(epoch.logs[part]) and np.isfinite(epoch.logs[f"val_{part}"])
    snap = session.snapshot(1)
    assert snap["codes"].shape[1] == r.net["code"]
    assert snap["sweep"].shape == (r.snapshot["sweep"] ** 2, digits.input_dim)
    assert set(family(name).figures) <= set(epoch.stats)


@pytest.mark.parametrize("name", ["conv-ae", "conv-vae"])
def test_the_weights_are_counted_exactly(name, recipes, digits):
    built = build(recipes[name], digits.input_dim)
    assert built.model.count_params() == weight_count(recipes[name], digits.input_dim)


def test_the_conv_vae_is_the_keras_examples(recipes):
    built = build(recipes["conv-vae"], 784)
    convs = [layer for layer in built.encoder.layers if type(layer).__name__ == "Conv2D"]
    assert [(c.filters, c.strides) for c in convs] == [(32, (2, 2)), (64, (2, 2))]
    assert built.encoder.get_layer("enc_dense").units == 16 and built.encoder.get_layer("z_mean").units == 2
    assert built.decoder.output.shape[-1] == 784


def test_bad_conv_recipes_are_refused_in_one_line(tmp_path):
    for text, field in (('kind = "conv-vae"\n[net]\nhidden = []\ncode = 2\n', "[net] hidden"),
                        ('kind = "conv-ae"\n[net]\nhidden = [8, 8, 8, 8, 8]\n', "[net] hidden"),
                        ('kind = "conv-vae"\n[net]\nhidden = [8]\n[loss]\nsparsity = "kl"\n', "[loss] sparsity")):
        path = tmp_path / "bad.toml"
        path.write_text(text)
        with pytest.raises(AetuiError) as caught:
            recipes_module.load_file(path)
        assert field in str(caught.value) and "\n" not in str(caught.value)


def test_images_the_strides_do_not_divide_are_refused_in_one_line(recipes):
    with pytest.raises(AetuiError) as caught:
        build(recipes["conv-vae"], 30 * 30)  # a side of 30 does not divide by 4
    assert "[net] hidden" in str(caught.value) and "\n" not in str(caught.value)


def test_a_denoising_run_trains_and_says_its_errors_are_of_clean_digits_from_noisy_ones(recipes, digits, store):
    from aetui.core import conventions

    r = recipes["conv-ae-denoise"]
    assert r.params["noise"] == 0.5
    session = sessions.open_session(trainer.train(r, digits, store, epochs=1, batch_size=64, batch_interval=0))
    assert session.status == "finished" and np.isfinite(session.epochs[0].logs["val_loss"])
    assert "noise" in conventions.figures(r)["test_mse_pixel"] and "clean" in conventions.of_parts(r)["recon"]
    from aetui.views.replay import Replay

    replay = Replay(session)
    originals, recon, _ = replay.reconstructions(1)
    noisy = replay.noisy(1)  # sd 0.5 noise clipped to [0, 1]: far from the clean digits
    assert noisy.shape == originals.shape and np.abs(noisy - originals).mean() > 0.15
    assert Replay(sessions.open_session(trainer.train(recipes["conv-ae"], digits, store, epochs=1, batch_size=64,
                                                      batch_interval=0))).noisy(1) is None


def test_a_noise_level_out_of_range_or_for_a_family_without_it_is_refused_in_one_line(tmp_path):
    for text, field in (('kind = "ae"\n[params]\nlearning_rate = 0.001\nweight_decay = 0.0\nnoise = 1.5\n',
                         "[params] noise"),
                        ('kind = "aae"\n[params]\nlearning_rate = 0.001\nnoise = 0.2\n', "[params] noise")):
        path = tmp_path / "bad.toml"
        path.write_text(text)
        with pytest.raises(AetuiError) as caught:
            recipes_module.load_file(path)
        assert field in str(caught.value) and "\n" not in str(caught.value)


def test_the_noise_level_changes_mid_run_and_is_recorded_like_any_change(recipes, digits, store):
    from aetui.core import events
    from aetui.core.recipe import Recipe

    data = recipes["conv-ae-denoise"].to_dict()
    data["train"]["steps_per_execution"] = 1
    r = Recipe.from_dict(data, "conv-ae-denoise", "test")
    assert "noise" in r.tunables
    controls = trainer.Controls(r.tunables)

    def on_event(event):
        if isinstance(event, events.BatchEnded) and event.step == 2:
            controls.set("noise", 0.1)

    path = trainer.train(r, digits, store, epochs=1, batch_size=64, batch_interval=0, controls=controls,
                         on_event=on_event)
    session = sessions.open_session(path)
    change = session.changes[0]
    assert (change.name, change.old, change.new, change.step) == ("noise", 0.5, 0.1, 2)
    assert session.meta.params["noise"] == 0.1
    from aetui.views.replay import Replay

    replay = Replay(session)  # the snapshot shows the panel as the encoder saw it at the level in force
    originals, recon, _ = replay.reconstructions(1)
    noisy = replay.noisy(1)
    assert noisy.shape == originals.shape and 0 < np.abs(noisy - originals).mean() < 0.1
    assert np.all((noisy >= 0) & (noisy <= 1)) and np.isfinite(recon).all()
