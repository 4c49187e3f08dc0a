"""Changes planned ahead: a recipe's `[[schedule]]`, `aetui tune --at-epoch N` and `--cancel`, and
`aetui schedule` printing a session's changes as a schedule that replays them (small real trainings)."""

import threading
import tomllib

import pytest

from aetui import cli
from aetui.core import events, recipe
from aetui.core.errors import AetuiError
from aetui.core.store import sessions
from aetui.core.training import trainer

STEPS = 16
"""Batches per epoch: 256 digits in batches of 16."""


def scheduled(r, *entries):
    data = r.to_dict()
    data["schedule"] = list(entries)
    return recipe.Recipe.from_dict(data, name=r.name, source="test")


def test_a_schedule_is_applied_at_its_steps_and_recorded_like_any_change(recipes, digits, store):
    r = scheduled(recipes["sparse-kl"], {"epoch": 2, "beta": 0.5}, {"step": 40, "beta": 1.5, "p": 0.1})
    path = trainer.train(r, digits, store, epochs=3, batch_size=16, name="planned")
    session = sessions.open_session(path)
    assert [(c.name, c.new, c.step) for c in session.changes] == \
        [("beta", 0.5, STEPS), ("beta", 1.5, 40), ("p", 0.1, 40)]
    assert session.recipe().schedule == r.schedule  # (kept in the session's recipe)


@pytest.mark.parametrize("entry, said", [({"epoch": 2, "beta": -1}, "entry 1 beta"),
                                         ({"beta": 1}, "entry 1: say when"),
                                         ({"epoch": 0, "beta": 1}, "entry 1 epoch"),
                                         ({"epoch": 2, "lam": 1}, "entry 1 lam: not used"),
                                         ({"epoch": 2}, "entry 1: sets nothing")])
def test_a_schedule_entry_that_cannot_be_is_refused_when_the_recipe_loads(recipes, entry, said):
    with pytest.raises(AetuiError, match=said):
        scheduled(recipes["sparse-kl"], entry)


def test_schedule_prints_the_changes_as_a_schedule_that_replays_them(recipes, digits, store, capsys):
    r = recipes["sparse-kl"]
    controls = trainer.Controls(r.tunables)

    def on_event(event):
        if isinstance(event, events.BatchEnded) and event.step == 8:
            controls.set("beta", 0.25)
        if isinstance(event, events.EpochEnded) and event.epoch == 1:
            controls.set("p", 0.2)  # (held while the epoch is saved: from epoch 2's first batch)

    trainer.train(r, digits, store, epochs=2, batch_size=16, name="by-hand", controls=controls, on_event=on_event,
                  batch_interval=0)
    capsys.readouterr()
    assert cli.main(["--sessions", str(store), "schedule", "by-hand"]) == 0
    text = capsys.readouterr().out
    entries = tomllib.loads(text)["schedule"]
    assert entries == [{"step": 8, "beta": 0.25}, {"epoch": 2, "p": 0.2}]
    path = trainer.train(scheduled(r, *entries), digits, store, epochs=2, batch_size=16, name="from-schedule")
    original = sessions.find(store, "by-hand")
    again = sessions.open_session(path)
    assert [(c.name, c.new, c.step) for c in again.changes] == [(c.name, c.new, c.step) for c in original.changes]
    assert [e.logs for e in again.epochs] == [e.logs for e in original.epochs]


def test_tune_plans_a_change_for_a_later_epoch_and_cancel_drops_the_plan(recipes, digits, store, capsys):
    r = recipes["sparse-kl"]
    controls = trainer.Controls(r.tunables)
    reached, outcome = threading.Event(), {}

    def on_event(event):
        if isinstance(event, events.EpochEnded) and event.epoch == 1:
            controls.pause()
            reached.set()

    def work():
        try:
            outcome["path"] = trainer.train(r, digits, store, epochs=3, batch_size=16, name="ahead",
                                            controls=controls, on_event=on_event)
        finally:
            reached.set()

    thread = threading.Thread(target=work)
    thread.start()
    tune = ["--sessions", str(store), "tune", "ahead"]
    try:
        reached.wait(300)
        assert cli.main([*tune, "--at-epoch", "3", "--set", "beta=0.5"]) == 0
        assert cli.main([*tune, "--at-epoch", "2", "--set", "p=0.1"]) == 0
        assert controls.planned() == [(STEPS, "p", 0.1), (2 * STEPS, "beta", 0.5)]
        assert cli.main([*tune, "--at-epoch", "1", "--set", "p=0.1"]) == 2  # (epoch 1 is over)
        assert cli.main([*tune, "--cancel"]) == 0
        assert controls.planned() == []
        assert cli.main([*tune, "--at-epoch", "3", "--set", "beta=0.75"]) == 0
        out = capsys.readouterr().out
        assert "planned from step 32 (epoch 3)" in out and "cancelled 2 planned change(s)" in out
    finally:
        controls.resume()
        thread.join(300)
    session = sessions.open_session(outcome["path"])
    assert [(c.name, c.new, c.step) for c in session.changes] == [("beta", 0.75, 2 * STEPS)]
