"""Tuning by hand made reproducible: a session tuned with `aetui tune` is rerun exactly, and branched
from the epoch before its change (real sparse-kl trainings on real MNIST, a few epochs)."""

from pathlib import Path
import threading

import numpy as np
import pytest

from aetui import cli
from aetui.core import data, events
from aetui.core.errors import AetuiError
from aetui.core.store import sessions
from aetui.core.training import lineage, trainer

TOLERANCE = 1e-6
"""The relative tolerance the README states for a rerun on the CPU (measured: equal to the bit)."""


def figures(session) -> list[dict]:
    return [e.logs for e in session.epochs]


@pytest.fixture(scope="module")
def tuned(recipes, mnist_dir, tmp_path_factory):
    """sparse-kl trained 3 epochs on 1,024 real MNIST images, held after epoch 1 while `aetui tune`
    sets beta from another thread's command line (it takes effect at epoch 2's first batch)."""
    store = tmp_path_factory.mktemp("lineage") / "sessions"
    r = recipes["sparse-kl"]
    mnist = data.load(path=mnist_dir).limited(1024)
    controls = trainer.Controls(r.tunables)
    reached, outcome = threading.Event(), {}

    def on_event(event):
        if isinstance(event, events.EpochEnded) and event.epoch == 1:
            controls.pause()  # (held before the next batch, taking commands)
            reached.set()

    def work():
        try:
            outcome["path"] = trainer.train(r, mnist, store, epochs=3, batch_size=128, name="tuned",
                                            controls=controls, on_event=on_event)
        finally:
            reached.set()

    thread = threading.Thread(target=work)
    thread.start()
    try:
        reached.wait(600)
        assert cli.main(["--sessions", str(store), "tune", "tuned", "--set", "beta=1"]) == 0
    finally:
        controls.resume()
        thread.join(600)
    return store, sessions.open_session(outcome["path"])


def test_a_rerun_finds_the_same_changes_at_the_same_steps_and_the_same_figures(tuned):
    store, original = tuned
    assert [(c.name, c.new, c.step) for c in original.changes] == [("beta", 1.0, 8)]
    assert cli.main(["--sessions", str(store), "rerun", "tuned", "--session", "again"]) == 0
    again = sessions.find(store, "again")
    assert again.status == "finished" and again.meta.parent == {"name": "tuned", "how": "rerun"}
    assert [(c.name, c.old, c.new, c.step) for c in again.changes] == \
        [(c.name, c.old, c.new, c.step) for c in original.changes]
    assert len(again.epochs) == len(original.epochs) == 3
    for mine, theirs in zip(figures(again), figures(original)):
        assert mine.keys() == theirs.keys()
        np.testing.assert_allclose([mine[k] for k in sorted(mine)], [theirs[k] for k in sorted(theirs)],
                                   rtol=TOLERANCE)


def test_a_branch_from_the_epoch_before_the_change_shares_the_history_up_to_it(tuned):
    store, original = tuned
    assert 1 in lineage.kept_epochs(original)  # the epoch before the change is kept
    assert cli.main(["--sessions", str(store), "branch", "tuned", "--from-epoch", "1", "--set", "beta=0.5",
                     "--session", "other"]) == 0
    branch = sessions.find(store, "other")
    assert branch.status == "finished" and branch.meta.parent == {"name": "tuned", "how": "branch", "epoch": 1}
    shared = [e for e in original.history if not isinstance(e, events.TrainingFinished)][:2]
    assert branch.history[:2] == shared  # TrainingStarted, EpochEnded 1: the parent's
    assert [e.epoch for e in branch.epochs] == [1, 2, 3]
    assert [(c.name, c.new, c.step) for c in branch.changes] == [("beta", 0.5, 8)]
    assert branch.epochs[1].logs != original.epochs[1].logs
    from aetui.core.store.sessions import SNAPSHOTS, WEIGHTS, snapshot_name, weights_name

    for kind, name in ((SNAPSHOTS, snapshot_name(1)), (WEIGHTS, weights_name(1))):  # shared on disk, not copied
        assert (branch.path / kind / name).stat().st_ino == (original.path / kind / name).stat().st_ino


def test_a_branch_keeps_what_it_shares_when_its_parent_is_removed(tuned):
    import shutil

    store, original = tuned
    parent = store / "parent-copy"
    shutil.copytree(original.path, parent)
    branch_path = lineage.make_branch(sessions.open_session(parent), store, 1, name="orphan")
    shutil.rmtree(parent)
    orphan = sessions.open_session(branch_path)
    assert orphan.status == "stopped" and not orphan.problems and [e.epoch for e in orphan.epochs] == [1]
    assert orphan.snapshot(1)["recon"].shape[0] >= 1 and 1 in lineage.kept_epochs(orphan)


def test_a_branch_from_an_epoch_not_kept_says_which_are(tuned):
    store, original = tuned
    kept = lineage.kept_epochs(original)
    assert kept[-1] == 3 and 1 in kept  # the last, and the epoch before the change (and the best written)
    missing = next(e for e in (2, 99) if e not in kept)
    with pytest.raises(AetuiError, match=f"state of epoch {missing} is not kept"):
        lineage.make_branch(original, store, missing)


def test_keep_every_k_keeps_those_epochs_and_a_rerun_says_what_differs(store, capsys):
    assert cli.main(["--sessions", str(store), "--dataset", "digits", "--limit", "256", "train", "ae-32",
                     "--epochs", "4", "--keep", "every:2", "--session", "kept"]) == 0
    session = sessions.find(store, "kept")
    assert session.meta.keep == "every:2" and {2, 4} <= set(lineage.kept_epochs(session))
    assert cli.main(["--sessions", str(store), "train", "ae-32", "--keep", "some"]) == 2
    assert lineage.differences(session, session.meta.device.split(";")[0]) == []
    import json

    record = json.loads((session.path / "session.json").read_text())
    record["versions"]["keras"], record["device"] = "0.0.1", "GPU 0: elsewhere"
    (session.path / "session.json").write_text(json.dumps(record))
    said = lineage.differences(sessions.find(store, "kept"), session.meta.device.split(";")[0])
    assert any(s.startswith("keras 0.0.1 then") for s in said) and any("GPU 0: elsewhere" in s for s in said)
    capsys.readouterr()
    assert cli.main(["--sessions", str(store), "--dataset", "digits", "rerun", "kept", "--epochs", "1"]) == 0
    assert "warning: the rerun may not give the same figures: keras 0.0.1 then" in capsys.readouterr().out


def test_a_branch_cut_short_while_being_made_does_not_block_its_name(tuned):
    import json

    store, original = tuned
    half = lineage.make_branch(original, store, 1, name="half")
    record = json.loads((half / "session.json").read_text())  # as a kill during the copy leaves it:
    record.update(status="running", reason=f"{lineage.BEING_MADE} tuned at epoch 1", epochs_done=0)
    (half / "session.json").write_text(json.dumps(record))  # (its lock held by nobody: it reads killed)
    assert sessions.open_session(half).status == "killed"
    again = lineage.make_branch(original, store, 1, name="half")
    assert again == half and sessions.open_session(again).status == "stopped"
    assert lineage.make_branch(original, store, 1, name="half") == store / "half-2"  # a whole one stays


def test_a_recipes_keep_keeps_those_epochs_and_a_bad_one_is_refused_naming_the_field(store, tmp_path, capsys):
    recipe = tmp_path / "keeper.toml"
    text = (Path(__file__).parents[2] / "models" / "ae-32.toml").read_text()
    recipe.write_text(text.replace("[train]", '[train]\nkeep = "every:2"', 1))
    assert cli.main(["--sessions", str(store), "--dataset", "digits", "--limit", "256", "train", str(recipe),
                     "--epochs", "4", "--session", "from-recipe"]) == 0
    session = sessions.find(store, "from-recipe")
    assert session.meta.keep == "every:2" and {2, 4} <= set(lineage.kept_epochs(session))
    recipe.write_text(text.replace("[train]", '[train]\nkeep = "every:0"', 1))
    capsys.readouterr()
    assert cli.main(["--sessions", str(store), "train", str(recipe)]) == 2
    assert "[train] keep: give all, or every:K" in capsys.readouterr().err
