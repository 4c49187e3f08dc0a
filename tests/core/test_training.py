"""Real small trainings: every recipe trains an epoch and reopens; live changes, stop, pause, divergence."""

import threading

import numpy as np
import pytest

from aetui.core import data, events
from aetui.core.errors import AetuiError
from aetui.core.store import sessions
from aetui.core.training import trainer


def run(recipe, digits, store, **kwargs):
    seen = []
    kwargs.setdefault("epochs", 1)
    kwargs.setdefault("batch_size", 64)
    on_event = kwargs.pop("on_event", None)

    def sink(event):
        seen.append(event)
        if on_event:
            on_event(event)

    path = trainer.train(recipe, digits, store, on_event=sink, batch_interval=0, **kwargs)
    return sessions.open_session(path), seen


@pytest.mark.parametrize("name", ["ae-32", "sparse-l1", "sparse-l1-seed", "sparse-kl", "sparse-kl-mean", "sparse-kl-wd",
                                  "nonneg", "vae-2d", "aae-gaussian", "aae-mixture", "aae-paper"])
def test_every_recipe_trains_an_epoch_and_reopens(name, recipes, digits, store):
    r = recipes[name]
    session, seen = run(r, digits, store)
    assert session.status == "finished" and session.epochs_done == 1 and not session.problems
    epoch = session.epochs[0]
    for part in session.meta.parts:
        assert np.isfinite(epoch.logs[part]) and np.isfinite(epoch.logs[f"val_{part}"])
    assert 0.0 <= epoch.stats["near_zero"] <= 1.0 and epoch.stats["units"] == r.net["code"]
    snap = session.snapshot(1)
    fixed = session.fixed()
    assert snap["recon"].shape == fixed["panel"].shape and snap["recon"].dtype == np.uint8
    assert snap["codes"].shape == (len(fixed["subset_index"]), r.net["code"])
    assert snap["sweep"].shape == (r.snapshot["sweep"] ** 2, digits.input_dim)
    assert session.weights()[0] == 1
    assert [type(e).__name__ for e in seen if not isinstance(e, events.BatchEnded)] == \
        ["TrainingStarted", "Validating", "EpochEnded", "SnapshotTaken", "TrainingFinished"]


def test_weights_reload_into_a_rebuilt_model(recipes, digits, store):
    from aetui.core import families

    session, _ = run(recipes["vae-2d"], digits, store)
    built = families.build(session.recipe(), digits.input_dim)
    built.load_weights(session.weights()[1])
    codes = built.encode(digits.x_test[session.fixed()["subset_index"]])["code"]
    np.testing.assert_allclose(codes, session.snapshot(1)["codes"].astype(np.float32), atol=2e-2)


def test_sparsity_and_vae_statistics(recipes, digits, store):
    session, _ = run(recipes["sparse-kl"], digits, store)
    snap, stats = session.snapshot(1), session.epochs[0].stats
    codes = snap["codes"].astype(np.float64)
    assert stats["mean_activation"] == pytest.approx(codes.mean(), rel=1e-2)
    np.testing.assert_allclose(snap["unit_means"], codes.mean(axis=0), rtol=1e-2, atol=1e-3)
    vae, _ = run(recipes["vae-2d"], digits, store)
    assert vae.snapshot(1)["kl_per_dim"].shape == (2,) and 0 <= vae.epochs[0].stats["active_units"] <= 2


def one_step_per_execution(recipe):
    """The recipe run one batch per execution, so every batch reports (exact per-batch checks)."""
    from aetui.core.recipe import Recipe

    data = recipe.to_dict()
    data["train"]["steps_per_execution"] = 1
    return Recipe.from_dict(data, recipe.name, "test")


def test_live_beta_change_moves_the_penalty_at_the_next_batch(recipes, digits, store):
    r = one_step_per_execution(recipes["sparse-kl"])
    controls = trainer.Controls(r.tunables)
    batches = []

    def on_event(event):
        if isinstance(event, events.BatchEnded):
            batches.append(event)
            if event.step == 2:
                controls.set("beta", 3.0)

    session, seen = run(r, digits, store, params={"beta": 0.0}, controls=controls, on_event=on_event)
    by_step = {b.step: b.last["sparsity"] for b in batches}
    assert by_step[1] == 0.0 and by_step[2] == 0.0
    assert by_step[3] > 0.1
    change = session.changes[0]
    assert (change.name, change.old, change.new, change.step) == ("beta", 0.0, 3.0, 2)
    assert session.meta.params["beta"] == 3.0


def test_learning_rate_is_live(recipes, digits, store):
    r = recipes["ae-32"]
    controls = trainer.Controls(r.tunables)
    controls.set("learning_rate", 0.01)
    session, _ = run(r, digits, store, controls=controls)
    assert session.changes[0].name == "learning_rate" and session.changes[0].step == 0
    assert session.meta.params["learning_rate"] == 0.01


def test_live_controls_validate():
    controls = trainer.Controls(("beta", "p", "learning_rate"))
    with pytest.raises(AetuiError, match="out of range"):
        controls.set("p", 1.0)
    with pytest.raises(AetuiError, match="unknown hyperparameter 'lam'"):
        controls.set("lam", 0.1)


def test_a_link_made_after_an_interrupt_to_finish_the_epoch_does_not_cut_it_short():
    """A hangup that lands as the UI's worker starts: the app exiting (its worker cancelled) must
    not stop the run before the epoch in progress is saved."""
    import threading

    controls = trainer.Controls(("beta",))
    controls.interrupt("the connection dropped (SIGHUP)", finish_epoch=True)
    cancelled = threading.Event()
    controls.also_stop_on(cancelled)
    cancelled.set()
    assert not controls.stopping and controls.at_epoch_end.is_set()
    early = trainer.Controls(("beta",))
    early.also_stop_on(cancelled)
    assert early.stopping


def test_stop_keeps_completed_epochs(recipes, digits, store):
    r = one_step_per_execution(recipes["ae-32"])
    controls = trainer.Controls(r.tunables)

    def on_event(event):
        if isinstance(event, events.BatchEnded) and event.epoch == 2 and event.batch == 1:
            controls.stop()

    session, _ = run(r, digits, store, epochs=5, controls=controls, on_event=on_event)
    assert session.status == "stopped" and session.epochs_done == 1 and session.weights()[0] == 1


def test_pause_and_resume(recipes, digits, store):
    r = one_step_per_execution(recipes["ae-32"])
    controls = trainer.Controls(r.tunables)

    def on_event(event):
        if isinstance(event, events.BatchEnded) and event.step == 1:
            controls.pause()
            threading.Timer(0.3, controls.resume).start()
        if isinstance(event, events.Paused):
            controls.set("learning_rate", 0.002)  # changes still apply while paused

    session, seen = run(r, digits, store, controls=controls, on_event=on_event)
    kinds = [type(e).__name__ for e in seen if not isinstance(e, events.BatchEnded)]
    assert kinds.index("Paused") < kinds.index("HParamChanged") < kinds.index("Resumed")
    assert session.status == "finished"


def test_divergence_stops_and_keeps_the_last_good_epoch(recipes, digits, store):
    r = one_step_per_execution(recipes["vae-2d"])
    controls = trainer.Controls(r.tunables)

    def on_event(event):
        if isinstance(event, events.BatchEnded) and event.epoch == 2 and event.batch == 1:
            controls.set("beta", 1e38)

    session, seen = run(r, digits, store, epochs=3, controls=controls, on_event=on_event)
    assert session.status == "diverged" and session.epochs_done == 1
    assert "non-finite" in session.meta.reason or "became" in session.meta.reason
    assert session.weights()[0] == 1


@pytest.mark.parametrize("name", ["ae-32", "sparse-kl-wd", "vae-2d", "aae-mixture"])
def test_recipes_train_on_real_mnist(name, recipes, mnist_dir, store):
    from aetui.core import data

    mnist = data.load(path=mnist_dir).limited(1024)
    session, _ = run(recipes[name], mnist, store, batch_size=128)
    assert session.epochs_done == 1 and session.meta.dataset["image_shape"] == [28, 28]
    assert session.snapshot(1)["recon"].shape == (10, 784)
    assert session.epochs[0].logs["val_recon"] < (600 if name == "vae-2d" else 1.0)


def test_live_change_with_several_steps_per_execution(recipes, digits, store):
    r = recipes["sparse-kl"]
    assert r.train["steps_per_execution"] == 8
    controls = trainer.Controls(r.tunables)

    def on_event(event):
        if isinstance(event, events.BatchEnded) and event.step == 8:
            controls.set("beta", 0.0)

    session, seen = run(r, digits, store, batch_size=16, controls=controls, on_event=on_event)
    batches = [e for e in seen if isinstance(e, events.BatchEnded)]
    assert [b.step for b in batches] == [8, 16]  # one report per execution of 8 batches
    change = session.changes[0]
    assert (change.name, change.new, change.step) == ("beta", 0.0, 8)
    assert batches[1].last["sparsity"] == 0.0  # the next 8 batches all ran with beta = 0


def test_a_change_made_between_epochs_is_not_in_force_at_the_end_of_the_first(recipes, digits, store):
    """A value set after epoch 1 ended applies from the first batch of epoch 2 (its step is epoch
    1's last step count): resuming from epoch 1 must not take it."""
    r = recipes["vae-2d"]
    controls = trainer.Controls(r.tunables)
    stop_now = {"set": False}

    def on_event(event):
        if isinstance(event, events.EpochEnded) and not stop_now["set"]:
            stop_now["set"] = True
            controls.set("beta", 2.0)  # between epochs 1 and 2
            controls.stop()

    path = trainer.train(r, digits, store, epochs=3, controls=controls, on_event=on_event)
    session = sessions.open_session(path)
    change = session.changes[-1]
    assert session.epochs_done == 1 and change.step == session.epochs[-1].step
    assert trainer.params_at_end(session)["beta"] == r.params["beta"]


def test_weights_are_made_in_memory_with_kerass_own_store(recipes, digits):
    """`Built.weights_file` uses Keras's internal store (a full disk crashed HDF5 writing to a file):
    this fails loudly where Keras moves it (the fallback, a temporary file, keeps working meanwhile)."""
    import io

    import h5py

    from aetui.core import families
    from aetui.core.families.base import in_memory_weights

    built = families.build(recipes["ae-32"], digits.input_dim)
    buffer = io.BytesIO()
    in_memory_weights(built.model, buffer)  # ImportError or TypeError here: Keras moved it
    with h5py.File(io.BytesIO(buffer.getvalue()), "r") as made:
        assert made.keys() and made.keys() == h5py.File(io.BytesIO(built.weights_file()), "r").keys()


def test_weights_are_copied_each_epoch_with_kerass_own_walk(recipes, digits):
    """`Built.weights_state` walks the model as Keras's `save_weights` does (its internal
    `_save_state` and `H5IOStore`): this fails loudly where Keras moves them (the fallback, the
    whole file made every epoch, keeps working meanwhile but costs a GPU's epoch)."""
    import io

    import h5py

    from aetui.core import families
    from aetui.core.families.base import captured_weights

    built = families.build(recipes["ae-32"], digits.input_dim)
    assert captured_weights(built.model)  # ImportError or TypeError here: Keras moved it
    state = built.weights_state()
    assert not isinstance(state, bytes), "weights_state fell back to making the file"
    with h5py.File(io.BytesIO(built.weights_bytes(state)), "r") as made:
        assert made.keys() == h5py.File(io.BytesIO(built.weights_file()), "r").keys()


def test_the_panel_shows_a_digit_of_each_class_whose_frame_views_can_crop(mnist_dir, recipes):
    """MNIST's 4-pixel frame holds strokes of about half its 7s and 9s: the panel takes, per class,
    the first digit with an empty frame, so views crop it (20-pixel digits) and cut no stroke."""
    from aetui.core.analysis.images import empty_borders

    fixed = trainer.fixed_panel(data.load("mnist", mnist_dir), recipes["ae-32"])
    assert list(fixed["panel_labels"][:10]) == list(range(10))
    assert (empty_borders(fixed["panel"][:10].reshape(10, 28, 28)) == 4).all()
