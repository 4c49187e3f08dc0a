"""Bad session folders, case by case: not a session, damaged metadata, damaged history, damaged
arrays. Each is one clear line or opens with the gap listed, and no file changes (the helpers are
in tests/test_bad_input.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from aetui.core.errors import AetuiError
from aetui.core.store import sessions
from tests.support import Trap, refused, shown, synthetic_session

# --- sessions: not a session, damaged metadata, damaged history, damaged arrays ----------------

@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A real three-epoch session, copied by each test that damages it."""
    return synthetic_session(tmp_path_factory.mktemp("template"), "run", epochs=3, code=2, kind="ae")


@pytest.fixture
def session(template, tmp_path) -> Path:
    """A fresh copy of the template session in the store `tmp_path/sessions`."""
    return Path(shutil.copytree(template, tmp_path / "sessions" / "run"))


def test_the_template_session_is_sound(session, tmp_path):
    out = shown(tmp_path, "show", "run", "--view", "recon", "--epoch", "3")
    assert "run · run · finished · epoch 3/3" in out


def test_folder_that_is_not_a_session(tmp_path):
    folder = tmp_path / "sessions" / "holiday-photos"
    folder.mkdir(parents=True)
    (folder / "beach.txt").write_text("sand\n")
    refused(tmp_path, "show", "holiday-photos", fragment="holiday-photos is not a session (no session.json)")
    refused(tmp_path, "show", "no-such-run", fragment="no session at")


def test_folder_path_that_is_not_a_session(tmp_path):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    refused(tmp_path, "show", str(folder), fragment=f"{folder} is not a session (no session.json)")


@pytest.mark.parametrize("damage, fragment", [
    (lambda text: text[: len(text) // 2], "run/session.json is damaged"),
    (lambda text: "", "run/session.json is damaged"),
    (lambda text: "[1, 2, 3]", "run/session.json: not an aetui session of format 1"),
    (lambda text: text.replace('"format": 1', '"format": 99'), "not an aetui session of format 1"),
])
def test_session_json_damaged(session, tmp_path, damage, fragment):
    meta = session / sessions.META
    meta.write_text(damage(meta.read_text(encoding="utf-8")), encoding="utf-8")
    refused(tmp_path, "show", "run", fragment=fragment)


def test_session_json_not_utf8(session, tmp_path):
    meta = session / sessions.META
    meta.write_bytes(b"\xff\xfe" + meta.read_bytes())
    refused(tmp_path, "show", "run", fragment="run/session.json is damaged")


def test_session_json_is_a_folder(session, tmp_path):
    (session / sessions.META).unlink()
    (session / sessions.META).mkdir()
    refused(tmp_path, "show", "run", fragment="session.json")


def history_lines(session: Path) -> list[str]:
    return (session / sessions.HISTORY).read_text(encoding="utf-8").splitlines()


def test_history_with_a_corrupt_line_opens_with_the_problem_listed(session, tmp_path):
    lines = history_lines(session)
    epoch2 = next(n for n, line in enumerate(lines) if '"epoch": 2, "step"' in line and "EpochEnded" in line)
    lines[epoch2] = lines[epoch2][:40]
    (session / sessions.HISTORY).write_text("\n".join(lines) + "\n", encoding="utf-8")
    opened = sessions.open_session(session)
    assert [e.epoch for e in opened.epochs] == [1, 3]
    assert any(p.startswith(f"history.jsonl line {epoch2 + 1} skipped") for p in opened.problems)
    out = shown(tmp_path, "show", "run")
    assert f"gap: history.jsonl line {epoch2 + 1} skipped" in out and "epoch 3/3" in out


def test_history_with_a_line_of_garbage_opens(session, tmp_path):
    with open(session / sessions.HISTORY, "a", encoding="utf-8") as fh:
        fh.write('{"event": "Nonsense"}\n[1, 2\n"just text"\n')
    opened = sessions.open_session(session)
    assert opened.epochs_done == 3 and sum("skipped" in p for p in opened.problems) == 3
    shown(tmp_path, "show", "run", "--view", "params")


def test_history_with_a_line_that_is_not_utf8_keeps_the_other_lines(session):
    raw = (session / sessions.HISTORY).read_bytes().splitlines(keepends=True)
    raw[1] = raw[1].replace(b'"', b"\xff", 1)
    (session / sessions.HISTORY).write_bytes(b"".join(raw))
    opened = sessions.open_session(session)
    assert opened.epochs_done >= 2 and any("line 2" in p for p in opened.problems)


def test_history_record_with_a_wrongly_typed_field_opens_with_the_problem_listed(session, tmp_path):
    lines = history_lines(session)
    record = json.loads(lines[-2])
    assert record["event"] == "EpochEnded"
    lines[-2] = json.dumps({**record, "epoch": "3"})
    (session / sessions.HISTORY).write_text("\n".join(lines) + "\n", encoding="utf-8")
    opened = sessions.open_session(session)
    assert opened.epochs_done == 2 and any("skipped" in p for p in opened.problems)
    assert "run" in shown(tmp_path, "ls")


def test_session_json_with_a_wrongly_typed_field_does_not_break_the_listing(session, tmp_path):
    meta = json.loads((session / sessions.META).read_text(encoding="utf-8"))
    (session / sessions.META).write_text(json.dumps({**meta, "recipe": ["not", "a", "table"]}), encoding="utf-8")
    shown(tmp_path, "ls")


def test_truncated_snapshot_is_a_clear_message_when_viewed(session, tmp_path):
    snap = session / sessions.SNAPSHOTS / sessions.snapshot_name(2)
    snap.write_bytes(snap.read_bytes()[:200])
    opened = sessions.open_session(session)  # it opens: the damage shows when the epoch is viewed
    with pytest.raises(AetuiError, match=r"epoch-0002\.npz is damaged"):
        opened.snapshot(2)
    refused(tmp_path, "show", "run", "--view", "recon", "--epoch", "2", fragment="epoch-0002.npz is damaged")
    shown(tmp_path, "show", "run", "--view", "recon", "--epoch", "3")  # the other epochs still show


def test_truncated_fixed_arrays_are_a_clear_message(session, tmp_path):
    fixed = session / sessions.FIXED
    fixed.write_bytes(fixed.read_bytes()[:-30])
    refused(tmp_path, "show", "run", "--view", "recon", "--epoch", "1", fragment="fixed.npz is damaged")


def test_snapshot_with_an_object_array_is_refused_never_unpickled(session, tmp_path):
    marker = tmp_path / "unpickled"
    snap = session / sessions.SNAPSHOTS / sessions.snapshot_name(2)
    arrays = dict(np.load(snap))
    arrays["recon"] = np.array([Trap(marker)], dtype=object)
    with open(snap, "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(AetuiError, match=r"recon holds Python objects \(a pickle\), which aetui never loads"):
        sessions.open_session(session).snapshot(2)
    refused(tmp_path, "show", "run", "--view", "recon", "--epoch", "2",
            fragment="epoch-0002.npz: recon holds Python objects")
    assert not marker.exists()


def test_epoch_beyond_the_session(session, tmp_path):
    refused(tmp_path, "show", "run", "--epoch", "9", fragment="run has no epoch 9 (epochs: 1..3)")

