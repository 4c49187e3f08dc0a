"""The README is the test plan: every command its code blocks show runs here as written, as a
newcomer would run it, and says what the README says it does.

Each block runs in a fresh folder of its own: the current folder is empty (so the store is the
default `./sessions`, fresh), `../shared/data/mnist` beside it and `~/mnist` in a home of its own
hold the real MNIST (a block that names either skips where it is absent, as the other MNIST tests
do), Keras's cache is empty and every download fails at once (OFFLINE: a command given no data
trains on the embedded digits and says so) and no `AETUI_*` variable is set. A command that cannot run in a test, or runs shortened, is marked
in the README itself, saying why (tests/readme_blocks.py reads the markers); a command that is
neither runnable nor marked fails the first test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests import readme_blocks
from tests.conftest import MNIST
from tests.support import run, wait_for

BLOCKS = readme_blocks.blocks()
BIN = Path(sys.executable).parent
HANDLED = {"export"}
"""Shell commands the test carries out itself (`export NAME=VALUE` sets the variable for what follows)."""
DIRECTIVES = ("not-run", "runs ", "waits for each detached run to end")
OFFLINE = {name: "http://127.0.0.1:9" for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                                                     "ALL_PROXY")} | {"no_proxy": "", "NO_PROXY": ""}
"""Offline as a newcomer's machine may be, wherever the suite runs: every download (Keras's
datasets go through urllib, which honours these) is sent to a port where nothing listens."""


def _subcommands() -> set[str]:
    from aetui.cli import _parser

    parser = _parser()
    (sub,) = (a for a in parser._actions if a.dest == "command")
    return {"aetui", *(f"aetui {name}" for name in sub.choices)}


def test_every_command_the_readme_shows_is_run_or_marked_with_a_reason():
    known = _subcommands() | HANDLED
    assert len(BLOCKS) >= 6, [b.line for b in BLOCKS]
    for block in BLOCKS:
        where = f"README.md:{block.line}"
        for head, reason in block.reasons().items():
            assert reason, f"{where}: the marker `{head}` says no reason"
            assert head.startswith(DIRECTIVES) or head.startswith(tuple(f"`{s}` stands for the "
                                                                        for s in block.stands_for())), f"{where}: `{head}`?"
        if block.not_run:
            continue
        for old, _ in block.substitutions():
            assert any(old in c.text for c in block.commands), f"{where}: `{old}` is not in the block"
        for name in block.skipped_names():
            assert any(c.name == name for c in block.commands), f"{where}: no `{name}` in the block to leave out"
        for command in block.commands:
            assert command.name in known or command.name in block.skipped_names(), (
                f"README.md:{command.line}: `{command.text}` is neither a command the test can run nor marked")


def _folder(tmp_path: Path, block: readme_blocks.Block) -> tuple[Path, dict]:
    """The block's current folder, with MNIST where the README says it goes, and its environment."""
    if block.needs_mnist() and not (MNIST / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real MNIST not found at {MNIST}")
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    (tmp_path / "shared" / "data").mkdir(parents=True)
    if MNIST.exists():
        (tmp_path / "shared" / "data" / "mnist").symlink_to(MNIST.resolve())
        (home / "mnist").symlink_to(MNIST.resolve())
    env = {name: value for name, value in os.environ.items() if not name.startswith("AETUI_")}
    env.update(HOME=str(home), PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", KERAS_HOME=str(tmp_path / "keras"),
               COLUMNS="200", **OFFLINE)
    return work, env


def _names(store: Path) -> list[str]:
    """The sessions and sweeps in the store, oldest first."""
    if not store.is_dir():
        return []
    entries = [p for p in store.iterdir() if p.is_dir() or p.name.endswith(".sweep.json")]
    return [p.name.removesuffix(".sweep.json") for p in sorted(entries, key=lambda p: p.stat().st_mtime_ns)]


def _as_written(text: str, store: Path, block: readme_blocks.Block, made: list[tuple[str, str]]) -> str:
    """The command with a dated name replaced by the store's of that prefix, and the block's
    placeholders by the sessions they stand for (`made`: each command run so far, as the README
    shows it, with the session it made)."""
    def dated(match):
        prefix = match.group(1)
        names = [n for n in _names(store) if readme_blocks.DATED.fullmatch(n) and n.rsplit("-", 2)[0] == prefix]
        return names[-1] if names else match.group(0)

    text = readme_blocks.DATED.sub(dated, text)
    for placeholder, maker in block.stands_for().items():
        names = [name for shown, name in made if shown.startswith(maker)]
        if names and placeholder in text:
            text = text.replace(placeholder, names[0] if maker else names[-1])
    return text


def _meaningful(name: str, words: list[str], out: str) -> bool:
    """Something the command says when it did what it is for (where the README shows no output)."""
    if "--detach" in words:
        return "trains in the background" in out
    if name in ("aetui train", "aetui resume", "aetui rerun", "aetui branch"):
        return any(line.startswith("epoch") for line in out.splitlines()) and "finished" in out
    expected = {"aetui sweep": "Best: ", "aetui ls": "session", "aetui eval": "test", "aetui tune": "from step",
                "aetui schedule": "[[schedule]]", "aetui pause": "paused", "aetui continue": "continues",
                "aetui stop": "stops"}
    return expected.get(name, "") in out and bool(out.strip())


@pytest.mark.slow  # (real trainings on MNIST, a few minutes in all)
@pytest.mark.parametrize("block", [b for b in BLOCKS if not b.not_run], ids=lambda b: f"README.md:{b.line}")
def test_the_readme_commands_run_as_written(block, tmp_path):
    work, env = _folder(tmp_path, block)
    store = work / "sessions"
    skipped = block.skipped_names()
    made: list[tuple[str, str]] = []
    for command in block.commands:
        text = command.text
        for old, new in block.substitutions():
            text = text.replace(old, new)
        text = _as_written(text, store, block, made)
        shown = readme_blocks.Command(command.line, text, command.expected)
        where = f"README.md:{command.line}: {text}"
        if shown.name in skipped:
            continue
        words = [str(Path(env["HOME"]) / w[2:]) if w.startswith("~/") else w for w in shown.words]
        if shown.name == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
            continue
        if any(text.startswith(first) for first in block.waits_before()):
            _wait_until_ended(store, [name for _, name in made])
        before = set(_names(store))
        out = run([str(BIN / "aetui"), *words[1:]], whole_env=env, cwd=work, timeout=900)
        said = out.stdout + out.stderr
        new = [n for n in _names(store) if n not in before]
        made.extend((command.text, name) for name in new)
        refusal = bool(command.expected) and command.expected[0].startswith("aetui: ")
        assert out.returncode == (2 if refusal else 0), f"{where}\n{said[-3000:]}"
        for line in command.expected:
            line = _as_written(line, store, block, made)
            assert readme_blocks.output_pattern(line).search(said), f"{where}\nexpected: {line}\n{said[-3000:]}"
        if not command.expected:
            assert _meaningful(shown.name, words, said), f"{where}\n{said[-3000:]}"
        if block.waits and "--detach" in words:
            _wait_until_ended(store, new)


def _wait_until_ended(store: Path, names: list[str]) -> None:
    """Wait until the detached runs `names` have ended (a generous bound: their trainings are short)."""
    from aetui.core.store import sessions

    for name in (n for n in names if (store / n).is_dir()):
        wait_for(lambda: sessions.open_session(store / name).status != "running", seconds=600,
                 what=f"{name} to end")


def test_an_unmarked_command_the_test_cannot_run_is_named(tmp_path):
    readme = "text\n\n```sh\naetui train ae-32 --epochs 1\nrm -rf sessions      # tidy up\n```\n"
    (block,) = readme_blocks.blocks(readme)
    assert [c.name for c in block.commands] == ["aetui train", "rm"]
    assert "rm" not in _subcommands() | HANDLED | block.skipped_names()
    marked = readme.replace("```sh", "<!-- test: not-run rm: it removes the store -->\n\n```sh")
    (block,) = readme_blocks.blocks(marked)
    assert block.skipped_names() == {"rm"} and block.reasons() == {"not-run rm": "it removes the store"}


def test_a_marker_shortens_a_training_and_shown_output_matches_any_numbers():
    readme = ("<!-- test: runs `--epochs 30` as `--epochs 1`: thirty take long -->\n"
              "```sh\naetui pause|continue x   # two\n#   x: paused from step 10422 (epoch 118)\n```\n")
    (block,) = readme_blocks.blocks(readme)
    assert block.substitutions() == [("--epochs 30", "--epochs 1")]
    assert [c.text for c in block.commands] == ["aetui pause x", "aetui continue x"]
    pattern = readme_blocks.output_pattern(block.commands[-1].expected[0])
    assert pattern.search("x: paused from step 8 (epoch 1)") and not pattern.search("x: paused from step 8")
    path = readme_blocks.output_pattern("its output: sessions/x/console.log")
    assert path.search("its output: /tmp/w/sessions/x/console.log")


def test_a_placeholder_stands_for_the_session_a_command_made(tmp_path):
    readme = ("<!-- test: `SESSION` stands for the session `aetui train ae-32` made: quickest -->\n"
              "```sh\naetui train ae-32\naetui train vae-2d\naetui eval SESSION\n```\n")
    (block,) = readme_blocks.blocks(readme)
    assert block.stands_for() == {"SESSION": "aetui train ae-32"}
    made = [("aetui train ae-32", "ae-32-20261204-101010"), ("aetui train vae-2d", "vae-2d-20261204-101020")]
    assert _as_written("aetui eval SESSION", tmp_path, block, made) == "aetui eval ae-32-20261204-101010"
