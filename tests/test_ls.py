"""`aetui ls` and its options: `--limit N` keeps the N newest, `--since DATE` those made since a
date or an age, `--family` and `--status` filter; a listing past `PLAIN_ROWS` rows is plain text
with the same columns and cells as the table."""

from __future__ import annotations

import json
import os

import pytest

from aetui import cli
from aetui.commands import listing
from aetui.core.store import sessions
from tests.support import fake_session, synthetic_session


@pytest.fixture
def store(tmp_path):
    """Four sessions: two families, three statuses, made on different days."""
    store = tmp_path / "sessions"
    fake_session(store, "jan-ae", "ae-32", 3, "finished", "2026-01-02T03:04:05")
    fake_session(store, "mar-stopped", "ae-32", 2, "stopped", "2026-03-01T10:00:00")
    vae = synthetic_session(store, "nov-vae", kind="vae", error=0.03)  # made 2026-11-03 08:00 UTC
    record = json.loads((vae / sessions.META).read_text())
    assert record["recipe"]["kind"] == "vae"
    fake_session(store, "dec-diverged", "ae-32", 1, "diverged", "2026-12-01T00:00:00")
    return store


def ls(store, capsys, *args) -> tuple[int, list[str], str]:
    code = cli.main(["--sessions", str(store), "ls", *args])
    out = capsys.readouterr()
    return code, [line.split()[0] for line in out.out.splitlines() if line.split() and line.split()[0] in NAMES], \
        out.out + out.err


NAMES = ("jan-ae", "mar-stopped", "nov-vae", "dec-diverged")


def test_limit_keeps_the_newest(store, capsys):
    code, names, out = ls(store, capsys, "--limit", "2")
    assert code == 0 and sorted(names) == ["dec-diverged", "nov-vae"] and "the 2 newest of 4" in out
    code, names, out = ls(store, capsys, "--limit", "10")
    assert code == 0 and len(names) == 4 and "newest of" not in out
    code, names, out = ls(store, capsys, "--limit", "0")
    assert code == 2 and names == [] and "aetui: --limit 0" in out


@pytest.mark.parametrize("since, expected", [
    ("2026-03-01", {"mar-stopped", "nov-vae", "dec-diverged"}),
    ("2026-03-01 10:00", {"mar-stopped", "nov-vae", "dec-diverged"}),
    ("2026-03-01T10:00:01", {"nov-vae", "dec-diverged"}),
    ("2026-11-03T09:00:00+0100", {"nov-vae", "dec-diverged"}),  # (08:00 UTC: made then, kept)
    ("2026-11-03T09:00:01+0100", {"dec-diverged"}),
    ("100000d", set(NAMES)),
])
def test_since_takes_dates_times_zones_and_ages(store, capsys, since, expected):
    code, names, _ = ls(store, capsys, "--since", since)
    assert code == 0 and set(names) == expected


def test_since_in_the_future_or_nonsense(store, capsys):
    code, names, out = ls(store, capsys, "--since", "2999-01-01")
    assert code == 0 and names == [] and "match" in out
    code, _, out = ls(store, capsys, "--since", "last tuesday")
    assert code == 2 and out.count("\n") == 1 and "is no date" in out and "Traceback" not in out


def test_family_and_status_filter(store, capsys):
    assert set(ls(store, capsys, "--family", "vae")[1]) == {"nov-vae"}
    assert set(ls(store, capsys, "--family", "ae")[1]) == {"jan-ae", "mar-stopped", "dec-diverged"}
    assert set(ls(store, capsys, "--status", "stopped")[1]) == {"mar-stopped"}
    assert set(ls(store, capsys, "--family", "ae", "--status", "finished", "--since", "2026-01-01")[1]) == {"jan-ae"}
    code, names, out = ls(store, capsys, "--family", "aae")
    assert code == 0 and names == [] and "match" in out
    with pytest.raises(SystemExit):
        cli.main(["--sessions", str(store), "ls", "--status", "sleeping"])


def rows_of(text: str, first: str) -> dict[str, list[str]]:
    """Each line starting with a session name (`first` its prefix), as its words, by name."""
    return {line.split()[0]: line.split() for line in text.splitlines() if line.startswith(first)}


def test_a_long_listing_is_plain_text_with_the_table_s_columns_and_cells(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the table's cells whole (at 80 columns its dates are shortened)
    store = tmp_path / "sessions"
    seed = fake_session(store, "run-0000", "ae-32", 3, "finished", "2026-01-02T03:04:05")
    for i in range(1, listing.PLAIN_ROWS + 1):
        (store / f"run-{i:04d}").mkdir()
        for name in (sessions.META, sessions.HISTORY):
            os.link(seed / name, store / f"run-{i:04d}" / name)
    assert cli.main(["--sessions", str(store), "ls", "--limit", str(listing.PLAIN_ROWS)]) == 0
    table = capsys.readouterr().out
    assert cli.main(["--sessions", str(store), "ls"]) == 0
    plain = capsys.readouterr().out
    assert "│" not in plain and "━" not in plain  # (no box drawn)
    header = [line for line in plain.splitlines() if line.startswith("session ")]
    assert len(header) == 1 and header[0].split() == "session status test MSE/pixel val loss epochs model data date".split()
    table_rows, plain_rows = rows_of(table, "run-"), rows_of(plain, "run-")
    assert len(table_rows) == listing.PLAIN_ROWS and len(plain_rows) == listing.PLAIN_ROWS + 1
    assert all(plain_rows[name] == words for name, words in table_rows.items())
    assert plain_rows["run-0000"] == ["run-0000", "finished", "-", "-", "3/30", "ae-32", "digits", "2026-01-02", "03:04"]
