"""Every table and command-line report at 80 columns writes each number whole: shorter (fewer
significant digits, the leading zero dropped) where room is short, never cut with an ellipsis
nor folded over two lines. Checked against the figures the session holds: each one is printed as
a number that rounds to it."""

from __future__ import annotations

import math
import re

import pytest
from rich.console import Console

from aetui.core import data
from aetui.core.store import evaluations, sessions
from aetui.core.training import trainer
from aetui.core.training.evaluate import evaluate
from aetui.views.replay import Replay
from tests.support import aetui

NUMBER = re.compile(r"(?<![\w.])-?(?:\d[\d,]*)?\.?\d+(?:e[-+]?\d+)?%?")


def shown_as(token: str, value: float) -> bool:
    """Whether `token` (as a table prints a number: `.0849`, `0.08489`, `8.5%`, `1.2e-05`, `1,024`)
    is `value` written with the digits it has."""
    percent = token.endswith("%")
    text = token.rstrip("%").replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return False
    target = value * 100 if percent else value
    mantissa = text.split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    scale = 10.0 ** int(text.split("e")[1]) if "e" in text else 1.0
    return abs(number - target) <= 0.5 * 10.0 ** -decimals * scale * (1 + 1e-9) + 1e-12


def assert_whole(text: str, values: dict[str, float], where: str) -> None:
    assert not re.search(r"[\d.]…|…[\d.]", text), f"{where}: a number cut short\n{text}"
    assert all(len(line) <= 80 for line in text.splitlines() if set(line) & set("│┃┏┗━─")), \
        f"{where}: a table wider than 80 columns\n{text}"
    tokens = NUMBER.findall(text)
    for key, value in values.items():
        if isinstance(value, (int, float)) and math.isfinite(value) and value != 0:
            assert any(shown_as(t, value) for t in tokens), f"{where}: {key} = {value} is not shown whole\n{text}"


@pytest.fixture(scope="module")
def store(tmp_path_factory, recipes):
    """A sparse-kl session of two epochs on the digits, evaluated, and a VAE's."""
    store = tmp_path_factory.mktemp("eighty")
    digits = data.load("digits").limited(512)
    for name in ("sparse-kl", "vae-2d"):
        path = trainer.train(recipes[name], digits, store, epochs=2, batch_size=64, name=name)
        evaluate(sessions.open_session(path), digits, samples=4)
    return store


def figures(session, epoch: int) -> dict[str, float]:
    e = session.epochs[epoch - 1]
    return {**e.logs, **{k: v for k, v in e.stats.items() if isinstance(v, float)}}


@pytest.mark.parametrize("name", ["sparse-kl", "vae-2d"])
def test_show_and_eval_at_80_columns(store, name):
    session = sessions.open_session(store / name)
    for view in ("curves", "sparsity", "params", "metrics"):
        out = aetui(store, "show", name, "--view", view, env={"COLUMNS": "80"})
        assert out.returncode == 0, out.stderr
        shown = {}
        if view == "curves":
            shown = {f"{k} (epoch {e})": v for e in (1, 2) for k, v in session.epochs[e - 1].logs.items()}
        elif view == "metrics":
            shown = {**evaluations.stored(session)[0][2].metrics,
                     **{k: v for k, v in figures(session, 2).items() if k.startswith("test_")}}
        assert_whole(out.stdout, shown, f"show --view {view} of {name}")
    out = aetui(store, "eval", name, "--samples", "4", env={"COLUMNS": "80"})
    assert out.returncode == 0, out.stderr
    assert_whole(out.stdout, evaluations.stored(sessions.open_session(store / name))[0][2].metrics, f"eval {name}")


def test_ls_at_80_columns(store):
    out = aetui(store, "ls", env={"COLUMNS": "80"})
    assert out.returncode == 0, out.stderr
    for name in ("sparse-kl", "vae-2d"):
        last = sessions.open_session(store / name).meta.last_epoch
        assert_whole(out.stdout, {k: v for k, v in last.items() if k != "epoch"}, f"ls ({name})")


def test_the_screens_tables_at_80_columns(store):
    from aetui.ui.screens.compare import figures_table, settings_diff
    from aetui.views.tables import parts_table

    replays = [Replay(sessions.open_session(store / name)) for name in ("sparse-kl", "vae-2d")]
    for width in (26, 36):  # the train screen's panel at 80 and at 140 columns and more
        console = Console(width=width, record=True)
        session = replays[0].session
        console.print(parts_table(session.epochs[-1].logs, session.epochs[-1].stats))
        logs = session.epochs[-1].logs
        assert_whole(console.export_text(), {k: v for k, v in logs.items() if "_" not in k or k.startswith("val_")},
                     f"the train screen's parts at {width} columns")
    console = Console(width=80, record=True)
    console.print(settings_diff(replays, ["sparse-kl", "vae-2d"]))
    console.print(figures_table(replays, ["sparse-kl", "vae-2d"], 2))
    text = console.export_text()  # (compare's figures scroll sideways: wider, never cut)
    assert not re.search(r"[\d.]…|…[\d.]", text), text
    for r in replays:
        for key in ("test_mse_pixel", "test_bce_pixel", "val_loss"):
            value = figures(r.session, 2)[key]
            assert any(shown_as(t, value) for t in NUMBER.findall(text)), (key, value, text)
