"""The control channel and the follower against a real run in this process (a training thread):
commands land at the stated step, in the history, with an answer; garbage never stops the run."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from aetui.core import data, events
from aetui.core.control import channel, remote
from aetui.core.control.follow import Follower
from aetui.core.errors import AetuiError
from aetui.core.store import files, sessions
from aetui.core.training import trainer
from aetui.core.training.controls import Controls
from tests.support import wait_for


@pytest.fixture
def running(tmp_path, recipes):
    """A sparse-kl run on the digits in a thread, many small batches, paused by the test as it
    needs; stopped at the end whatever happened. Yields (session path, controls, thread)."""
    controls = Controls(recipes["sparse-kl"].tunables)
    box: dict = {}

    def work():
        try:
            box["path"] = trainer.train(recipes["sparse-kl"], data.load("digits").limited(512), tmp_path, epochs=40,
                                        batch_size=8, name="run", controls=controls)
        except BaseException as err:  # (seen by the test)
            box["error"] = err

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    path = tmp_path / "run"
    # in its second epoch: the first epoch's end (validation and statistics traced, the first pictures)
    # takes seconds on a loaded machine, more than a command's answer may wait (found failing once)
    wait_for(lambda: (path / channel.CONTROL / channel.INBOX).is_dir() and
             (remote.read_progress(path) or {}).get("epoch", 0) >= 2)
    try:
        yield path, controls, thread
    finally:
        controls.stop()
        thread.join(60)
        assert "error" not in box, box.get("error")


def changes(path: Path) -> list[events.HParamChanged]:
    return sessions.open_session(path).changes


def test_a_value_sent_applies_from_the_step_it_names_and_is_recorded(running):
    path, _, _ = running
    answer = remote.send(path, "set", {"beta": 5.0, "p": 0.1})
    assert answer.ok and answer.applied == {"beta": 5.0, "p": 0.1}, answer
    assert f"from step {answer.step}" in answer.message
    wait_for(lambda: len(changes(path)) == 2)
    recorded = {c.name: c for c in changes(path)}
    assert recorded["beta"].new == 5.0 and recorded["beta"].old == 3.0 and recorded["beta"].step == answer.step
    assert recorded["p"].step == answer.step
    assert recorded["beta"].origin == recorded["p"].origin == remote.sender()  # (who sent it)
    log = (path / channel.LOG).read_text()
    assert "took" in log and "beta=5, p=0.1" in log


def test_pause_continue_and_stop_from_another_process_s_point_of_view(running):
    path, _, thread = running
    paused = remote.send(path, "pause")
    assert paused.ok and "paused" in paused.message
    wait_for(lambda: (remote.read_progress(path) or {}).get("paused") is True)
    step = remote.read_progress(path)["step"]
    time.sleep(0.5)
    assert remote.read_progress(path)["step"] == step  # held
    tuned = remote.send(path, "set", {"beta": 2.0})  # (taken while paused: from the next batch)
    assert tuned.ok and tuned.step == step
    assert remote.send(path, "continue").ok
    wait_for(lambda: remote.read_progress(path)["step"] > step)
    stopped = remote.send(path, "stop")
    assert stopped.ok
    thread.join(60)
    session = sessions.open_session(path)
    assert session.status == "stopped"
    kinds = [type(e).__name__ for e in session.history]
    assert "Paused" in kinds and "Resumed" in kinds
    with pytest.raises(AetuiError, match="not running"):
        remote.send(path, "set", {"beta": 1.0})


def test_refused_values_change_nothing_and_say_why(running):
    path, _, thread = running
    for values, why in (({"beta": -1}, "out of range"), ({"lam": 1.0}, "unknown hyperparameter"),
                        ({"beta": 1.0, "p": 2.0}, "out of range"), ({"beta": "x"}, "must be a number"),
                        ({}, "needs values")):
        answer = remote.send(path, "set", values)
        assert not answer.ok and why in answer.message, (values, answer)
    assert not remote.send(path, "explode").ok
    assert changes(path) == []  # (all or nothing: beta=1 was not applied without p)
    assert thread.is_alive()


def test_hostile_and_garbage_commands_are_refused_logged_and_never_stop_the_run(running, tmp_path):
    path, _, thread = running
    inbox = path / channel.CONTROL / channel.INBOX
    assert (path / channel.CONTROL).stat().st_mode & 0o777 == 0o700  # nobody else can put a command there
    secret = tmp_path / "secret.txt"
    secret.write_text("keep")
    planted = {
        "0123456789abcdef.json": b"{not json",
        "1123456789abcdef.json": b"[" * 50_000,
        "2123456789abcdef.json": b" " * (channel.COMMAND_LIMIT + 10),
        "3123456789abcdef.json": json.dumps({"op": "set", "values": {"beta": 1e400}}).encode(),
        "4123456789abcdef.json": json.dumps(["op", "stop"]).encode(),
        "../escape.json": None,
        "evil name.json": b"{}",
    }
    for name, content in planted.items():
        if content is not None:
            (inbox / name).write_bytes(content)
            os.chmod(inbox / name, 0o600)
    (inbox / "5123456789abcdef.json").symlink_to(secret)
    os.mkfifo(inbox / "6123456789abcdef.json")
    (inbox / "7123456789abcdef.json").write_text(json.dumps({"op": "stop"}))
    os.chmod(inbox / "7123456789abcdef.json", 0o666)  # writable by others: not trusted
    wait_for(lambda: not [n for n in os.listdir(inbox)])
    log = (path / channel.LOG).read_text()
    assert log.count("refused") >= 8, log
    assert "a link" in log and "not a regular file" in log and "writable by others" in log
    assert secret.read_text() == "keep"
    acks = path / channel.CONTROL / channel.ACKS
    assert all(not json.loads((acks / n).read_text())["ok"] for n in os.listdir(acks))
    assert thread.is_alive() and sessions.open_session(path).status == "running"
    assert remote.send(path, "set", {"beta": 4.0}).ok  # and it still takes good ones


def test_a_follower_sees_epochs_snapshots_batches_and_the_end(running):
    path, _, _ = running
    follower = Follower(path)
    seen: list = []
    wait_for(lambda: seen.extend(follower.poll()) or any(isinstance(e, events.SnapshotTaken) for e in seen))
    assert any(isinstance(e, events.TrainingStarted) for e in seen)
    assert any(isinstance(e, events.BatchEnded) for e in seen)
    remote.send(path, "set", {"beta": 2.5})
    wait_for(lambda: seen.extend(follower.poll()) or any(isinstance(e, events.HParamChanged) for e in seen))
    remote.send(path, "stop")
    wait_for(lambda: seen.extend(follower.poll()) or follower.ended)
    assert isinstance(seen[-1], events.TrainingFinished) and seen[-1].status == "stopped"


def test_a_value_set_while_an_epoch_validates_applies_from_the_next_epoch(tmp_path, recipes, digits):
    """The epoch being validated keeps one setting for all its figures: a value set meanwhile (a
    slider, a command taken at a validation batch) is in force from the next epoch's first batch."""
    controls = Controls(recipes["sparse-kl"].tunables)

    def on_event(event):
        if isinstance(event, events.Validating) and event.epoch == 1:
            controls.set("beta", 5.0)

    path = trainer.train(recipes["sparse-kl"], digits, tmp_path, epochs=2, batch_size=32, name="run",
                         controls=controls, on_event=on_event)
    session = sessions.open_session(path)
    (change,) = session.changes
    assert (change.new, change.step, change.epoch) == (5.0, session.epochs[0].step, 2)


def test_answers_name_the_step_and_epoch_the_history_records(tmp_path, recipes, monkeypatch):
    """`tune`, `pause` and `continue` answer where they take effect as the history then records it:
    commands taken mid-epoch (with eight batches per execution) and while an epoch is validated
    (the case where a pause took effect a whole execution later, and the answer named the epoch
    being validated instead of the one its step is in)."""
    import secrets

    monkeypatch.setattr(channel, "POLL_EVERY", 0.0)  # (every batch boundary looks: validation's too)
    r = recipes["sparse-kl"]
    controls = Controls(r.tunables)
    path, dropped, continued = tmp_path / "run", [], []

    def drop(op: str, values: dict | None = None) -> None:
        id = secrets.token_hex(8)
        with files.Folder.open(path / channel.CONTROL / channel.INBOX) as inbox:
            inbox.write(id + ".json", json.dumps({"op": op, **({"values": values} if values else {})}).encode(),
                        sync=False, mode=0o600)
        dropped.append((op, id))

    def go_on() -> None:
        continued.append(remote.send(path, "continue"))

    def on_event(event):
        if isinstance(event, events.BatchEnded) and event.epoch == 1 and event.batch == 16:
            drop("set", {"beta": 2.0})
            drop("pause")
        elif isinstance(event, events.Validating) and event.epoch == 1:
            drop("set", {"p": 0.1})
            drop("pause")
        elif isinstance(event, events.Paused):
            threading.Thread(target=go_on, daemon=True).start()

    trainer.train(r, data.load("digits").limited(512), tmp_path, epochs=2, batch_size=8, name="run",
                  controls=controls, on_event=on_event, batch_interval=0)
    session = sessions.open_session(path)
    steps = session.history[0].steps_per_epoch
    answers = {id: channel.Answer.from_json(json.loads((path / channel.CONTROL / channel.ACKS / f"{id}.json")
                                                        .read_text())) for _, id in dropped}
    sets = [answers[id] for op, id in dropped if op == "set"]
    pauses = [answers[id] for op, id in dropped if op == "pause"]
    assert all(a.ok for a in answers.values()) and len(continued) == 2 and all(a.ok for a in continued)
    changes = {c.name: c for c in session.changes}
    for answer in sets:
        (name,) = answer.applied
        assert (answer.step, answer.epoch) == (changes[name].step, changes[name].epoch), (answer, changes[name])
        assert f"from step {answer.step} (epoch {answer.epoch})" in answer.message
    paused = [e for e in session.history if isinstance(e, events.Paused)]
    resumed = [e for e in session.history if isinstance(e, events.Resumed)]
    assert [(a.step, a.epoch) for a in pauses] == [(e.step, events.epoch_of(e.step, steps)) for e in paused]
    assert [a.step for a in continued] == [e.step for e in resumed] == [e.step for e in paused]
    assert pauses[1].step == steps and pauses[1].epoch == 2  # taken while epoch 1 validated: before epoch 2's first
    assert changes["p"].step == steps and changes["p"].epoch == 2
    assert pauses[0].step == 16 and pauses[0].epoch == 1  # taken mid-epoch: at once


def test_a_folder_named_as_a_command_is_removed_or_passed_over_once(running):
    """A folder `<hex>.json` in the inbox: an empty one is removed; one with something in it cannot
    be, and is named in the log once, not at every look."""
    path, _, thread = running
    inbox = path / channel.CONTROL / channel.INBOX
    (inbox / "aaaaaaaaaaaaaaaa.json").mkdir()
    (inbox / "bbbbbbbbbbbbbbbb.json").mkdir()
    (inbox / "bbbbbbbbbbbbbbbb.json" / "inside").write_text("x")
    wait_for(lambda: not (inbox / "aaaaaaaaaaaaaaaa.json").exists(), 30, "the empty folder removed")
    wait_for(lambda: "passed over" in (path / channel.LOG).read_text(), 30, "the full folder passed over")
    time.sleep(1.0)  # (some fifty looks at the inbox)
    log = (path / channel.LOG).read_text()
    assert log.count("bbbbbbbbbbbbbbbb") == 2, log  # (refused once, passed over once)
    assert thread.is_alive() and remote.send(path, "set", {"beta": 4.0}).ok


def test_a_flood_of_unchanged_values_records_nothing_syncs_little_and_leaves_nothing(running, monkeypatch):
    """4,000 `set` commands that change nothing, put straight into the inbox: no change in the
    history, no sync for each, the run goes on meanwhile, at most `ANSWERS_KEPT` answers stay, and
    the log keeps its newest lines (a later command is logged; its cap made a quarter of the real
    one, so that this flood passes it as 10,000 commands pass the real one)."""
    path, _, thread = running
    inbox = path / channel.CONTROL / channel.INBOX
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real(fd))
    monkeypatch.setattr(channel, "LOG_LIMIT", channel.LOG_LIMIT // 4)
    step = remote.read_progress(path)["step"]
    for n in range(4_000):
        name = inbox / f".tmp-{n:016x}.json"  # (as a sender writes: a temporary name, then a rename)
        name.write_text(json.dumps({"op": "set", "values": {"beta": 3.0}, "from": "flood"}))
        os.chmod(name, 0o600)
        name.rename(inbox / f"{n:016x}.json")
    wait_for(lambda: not os.listdir(inbox), 120, "the flood taken")
    assert len(synced) < 400, len(synced)  # (epochs' files only: not one per command)
    assert remote.read_progress(path)["step"] > step and thread.is_alive()  # it trained meanwhile
    assert changes(path) == []
    acks = path / channel.CONTROL / channel.ACKS
    assert len(os.listdir(acks)) <= channel.ANSWERS_KEPT + 32
    assert (path / channel.LOG).stat().st_size <= channel.LOG_LIMIT + 1000
    assert (path / channel.OLD_LOG).exists()
    answer = remote.send(path, "set", {"beta": 3.0, "p": 0.2})
    assert answer.ok and "beta=3 (unchanged), p=0.2" in answer.message, answer
    assert f"took {answer.id}" in (path / channel.LOG).read_text()
    wait_for(lambda: [(c.name, c.new) for c in changes(path)] == [("p", 0.2)], 30, "the one real change")
