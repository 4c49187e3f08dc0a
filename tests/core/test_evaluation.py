"""`aetui eval` on real small sessions of every family: the figures stored in the session equal
what `analysis.metrics` (each tested against numpy in test_metrics.py) gives on the model's own
outputs, they read back as they were written, and a damaged file is a gap, never a crash. Also the
loss conventions each recipe states, and the cheap figures recorded every epoch."""

from __future__ import annotations

import json

import numpy as np
import pytest

from aetui.core import conventions
from aetui.core.analysis import metrics, sparsity
from aetui.core.errors import AetuiError
from aetui.core.store import evaluations, sessions
from aetui.core.store.writer import SessionWriter
from aetui.core.training import trainer
from aetui.core.training.evaluate import evaluate
from tests.support import aetui


@pytest.fixture(scope="module")
def trained(tmp_path_factory, recipes):
    """One two-epoch session of each family on 256 digits, by recipe name."""
    from aetui.core import data

    digits = data.load("digits").limited(256)
    store = tmp_path_factory.mktemp("evaluated")
    return {name: trainer.train(recipes[name], digits, store, epochs=2, batch_size=64, name=name)
            for name in ("ae-32", "sparse-l1-seed", "vae-2d", "aae-gaussian")}


@pytest.fixture(scope="module")
def digits():
    from aetui.core import data

    return data.load("digits").limited(256)


FAMILY_FIGURES = {
    "ae-32": {"knn2_acc", "mean_activation", "near_zero", "l0", "dead_units", "always_on"},
    "sparse-l1-seed": {"knn2_acc", "mean_activation", "near_zero", "l0", "dead_units", "always_on"},
    "vae-2d": {"elbo", "iwae", "kl", "active_units"},
    "aae-gaussian": {"mmd", "parzen_ll", "parzen_se", "parzen_sigma"},
}
EVERY_MODEL = {"mse_pixel", "mse_image", "bce_pixel", "bce_image", "knn_acc", "probe_acc"}


@pytest.mark.parametrize("name", list(FAMILY_FIGURES))
def test_eval_stores_the_figures_of_each_family(name, trained, digits):
    session = sessions.open_session(trained[name])
    record = evaluate(session, digits, samples=8)
    assert set(record.metrics) == EVERY_MODEL | FAMILY_FIGURES[name]
    assert all(np.isfinite(v) for v in record.metrics.values())
    assert 0.0 <= record.metrics["knn_acc"] <= 1.0 and 0.0 <= record.metrics["probe_acc"] <= 1.0
    back = evaluations.stored(sessions.open_session(trained[name]))
    assert back == ({2: record}, [])
    # the same figures from the model's own outputs, through the tested numpy functions
    built = trainer._build(session.recipe(), digits, trainer.params_at_end(session))
    trainer._load_weights(session, built, 2)
    codes = built.encode(digits.x_test)["code"]
    expected = metrics.reconstruction_errors(digits.x_test, built.decode(codes))
    for key, value in expected.items():
        assert record.metrics[key] == pytest.approx(value, rel=1e-5)
    if name == "vae-2d":
        assert record.samples == 8 and len(record.kl_per_dim) == 2
        assert record.metrics["iwae"] >= record.metrics["elbo"] - 5.0  # a tighter bound, up to sampling noise
        assert record.metrics["kl"] == pytest.approx(sum(record.kl_per_dim), rel=1e-6)
    if name in ("ae-32", "sparse-l1-seed"):
        histogram = record.firing_histogram
        assert sum(histogram["counts"]) == session.recipe().net["code"] and len(histogram["edges"]) == 11
        assert record.metrics["l0"] == pytest.approx(sparsity.l0(codes))


def test_eval_refuses_an_epoch_whose_weights_are_gone(trained, digits):
    session = sessions.open_session(trained["ae-32"])
    with pytest.raises(AetuiError, match="the weights of epoch 1 are not kept"):
        evaluate(session, digits, epoch=1)
    with pytest.raises(AetuiError, match="has epochs 1..2, not 7"):
        evaluate(session, digits, epoch=7)
    for samples in (0, 100_000_000):
        with pytest.raises(AetuiError, match="--samples must be from 1 to 5,000"):
            evaluate(session, digits, samples=samples)


@pytest.mark.parametrize("content, fragment", [
    ("{", "is damaged"),
    ('{"epoch": 2, "metrics": {"mse_pixel": "low"}}', "metrics must map names to numbers"),
    ('{"epoch": "2", "metrics": {}}', "not an aetui evaluation"),
    ('{"epoch": 2, "metrics": {}, "kl_per_dim": [null]}', "must hold numbers"),
])
def test_a_damaged_evaluation_is_a_gap(tmp_path, trained, content, fragment):
    import shutil

    path = shutil.copytree(trained["ae-32"], tmp_path / "copy")
    (path / sessions.EVALS).mkdir(exist_ok=True)
    (path / sessions.EVALS / sessions.eval_name(2)).write_text(content)
    found, problems = evaluations.stored(sessions.open_session(path))
    assert found == {} and len(problems) == 1 and fragment in problems[0]


def test_eval_on_the_command_line_then_show_and_export(tmp_path, trained):
    import shutil

    store = tmp_path / "sessions"
    shutil.copytree(trained["vae-2d"], store / "vae")
    out = aetui(store, "eval", "vae", "--samples", "4", env={"COLUMNS": "160"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "IWAE" in out.stdout and "(K = 4)" in out.stdout and "Stored in" in out.stdout
    shown = aetui(store, "show", "vae", "--view", "metrics", env={"COLUMNS": "160"})
    assert shown.returncode == 0 and "ELBO" in shown.stdout and "recorded each epoch" in shown.stdout
    exported = aetui(store, "export", "vae", "--to", str(tmp_path / "out"))
    assert exported.returncode == 0, exported.stderr[-2000:]
    header = (tmp_path / "out" / "metrics.csv").read_text().splitlines()[0]
    assert header.startswith("epoch,mse_pixel") and "iwae" in header
    refused = aetui(store, "eval", "vae", "--epoch", "1")
    assert refused.returncode == 2 and refused.stderr.startswith("aetui: ") and "not kept" in refused.stderr


def test_every_epoch_records_the_test_error_in_both_conventions_and_l0(trained):
    """Every family records squared error and cross-entropy per pixel and per image; the VAE's
    through its posterior mean (as `aetui eval`), the others' what their validation measured."""
    session = sessions.open_session(trained["ae-32"])
    for e in session.epochs:
        assert e.stats["test_bce_pixel"] == pytest.approx(e.logs["val_recon"], rel=1e-5)  # (ae-32: BCE per pixel)
        assert e.stats["test_bce_image"] == pytest.approx(e.stats["test_bce_pixel"] * 64)  # 8x8 digits
        assert 0.0 < e.stats["test_mse_pixel"] < e.stats["test_bce_pixel"]
        assert 0.0 <= e.stats["l0"] <= 32
    vae = sessions.open_session(trained["vae-2d"])
    last = vae.epochs[-1].stats
    assert last["test_mse_image"] == pytest.approx(last["test_mse_pixel"] * 64) and last["test_bce_pixel"] > 0



def test_l1_in_keras_2s_convention_is_batch_size_times_keras_3s(recipes, digits):
    """The same weights and batch: `l1_reduction = "batch"` is the per-image penalty times the batch."""
    from aetui.core import families

    x = digits.x_train[:64]
    parts, first = {}, None
    for name in ("sparse-l1", "sparse-l1-seed"):
        built = families.build(recipes[name], digits.input_dim, {"lam": 1e-3})
        if first is not None:
            built.model.set_weights(first)
        else:
            first = built.model.get_weights()
        parts[name] = float(built.model.loss_parts(x, built.model(x))["l1"])
    assert parts["sparse-l1-seed"] == pytest.approx(64 * parts["sparse-l1"], rel=1e-5)


def test_every_recipe_states_the_convention_of_each_loss_part(recipes):
    from aetui.core.families import dense

    for name, r in recipes.items():
        said = conventions.of_parts(r)
        parts = {"vae": ("recon", "kl"), "aae": ("recon", "disc", "gen")}.get(r.kind) or dense.part_names(r)
        assert set(parts) <= set(said), (name, said)
    assert "over the batch and units" in conventions.of_parts(recipes["sparse-l1-seed"])["l1"]
    assert "per image" in conventions.of_parts(recipes["sparse-l1"])["l1"]


def test_eval_records_read_back_only_what_they_should(tmp_path):
    record = evaluations.Evaluation(3, {"mse_pixel": 0.1}, samples=0, data="d", created="now")
    raw = json.loads(json.dumps(record.to_json()))
    assert evaluations.Evaluation.from_json(raw, "x") == record
    raw["metrics"]["x"] = True
    with pytest.raises(AetuiError):
        evaluations.Evaluation.from_json(raw, "x")


def test_eval_fills_the_ranking_figure_into_a_session_recorded_before_it(tmp_path, trained, digits):
    """A session recorded before the per-pixel figures lists with a dash and ranks last; `aetui eval`
    of its last epoch puts its figures into the record (which listings read alone), with the
    objective its history holds. A session some process trains is left to that process."""
    import shutil

    path = tmp_path / "old"
    shutil.copytree(trained["ae-32"], path)
    raw = json.loads((path / "session.json").read_text())
    raw.pop("last_epoch", None)  # (as a session of the version before it was written)
    (path / "session.json").write_text(json.dumps(raw))
    session = sessions.open_session(path)
    assert session.rank_value() is None
    record = evaluate(session, digits, samples=2)
    filled = sessions.open_session(path)
    assert filled.rank_value() == pytest.approx(record.metrics["mse_pixel"])
    assert filled.rank_value("bce") == pytest.approx(record.metrics["bce_pixel"])
    assert filled.summary()[3] == pytest.approx(filled.epochs[-1].logs["val_loss"])
    raw = json.loads((path / "session.json").read_text())
    raw.pop("last_epoch")
    (path / "session.json").write_text(json.dumps(raw))
    writer, _ = SessionWriter.lock(path)  # (as a process training it holds its lock)
    try:
        assert not evaluations.fill_in_record(sessions.open_session(path), record)
    finally:
        writer.close()
