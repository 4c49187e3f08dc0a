"""Sessions of families whose objectives are different quantities (a VAE's per-image sums, an
autoencoder's per-pixel mean) are ranked by the per-pixel test error every session records: in
home (under the Pilot, where `o` asks for it: home opens newest first), compare, `aetui ls` and
the ranking `aetui sweep` and compare's sweep table share. By their own objectives the order would
be the other way round."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from textual.widgets import DataTable

from aetui.core import ranking
from aetui.core.store import sessions
from aetui.core.sweeps import standings
from aetui.ui.screens.compare import CompareScreen, figures_table
from aetui.views.replay import Replay
from tests.support import aetui, fake_session, synthetic_session, until


def mixed(store: Path) -> dict[str, Path]:
    """A VAE (BCE summed over an image: losses near 10) with the lower test MSE per pixel, an
    autoencoder (per-pixel losses near 0.01) with the higher one, and a session recorded before
    the per-pixel figures (none: it ranks last)."""
    return {"vae": synthetic_session(store, "vae-sharp", kind="vae", error=0.03),
            "ae": synthetic_session(store, "ae-blurry", kind="ae", code=32, error=0.06),
            "old": fake_session(store, "old-run", "ae-32", 3, "finished", "2026-01-02T03:04:05")}


def test_the_objectives_would_rank_them_the_other_way(tmp_path):
    paths = mixed(tmp_path)
    vae, ae = (sessions.open_session(paths[k]) for k in ("vae", "ae"))
    assert vae.epochs[-1].logs["val_loss"] > 100 * ae.epochs[-1].logs["val_loss"]
    assert vae.rank_value() < ae.rank_value() and vae.rank_value("bce") < ae.rank_value("bce")
    assert sessions.open_session(paths["old"]).rank_value() is None


async def test_home_lists_the_newest_first_and_o_ranks_by_the_per_pixel_error(make_app):
    """Home opens newest first (the listing's own order: no summary read but those on screen); `o`
    ranks by the per-pixel test MSE, then BCE, the figures that mean the same for every family,
    never by the families' own objectives; a session recorded before them (a dash) ranks last."""
    mixed(Path("sessions"))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one("#sessions", DataTable)

        def names() -> list[str]:
            return [str(table.get_row_at(i)[0]).strip() for i in range(table.row_count)]

        def caption() -> str:
            return str(app.screen.query_one("#sessions-caption").render())

        await until(pilot, lambda: table.row_count == 3)
        assert app.screen.order == "newest" and "newest first" in caption()
        assert names()[-1] == "old-run"  # (of January; the two others of November, the same minute)
        table.focus()
        await pilot.press("o")  # best test MSE per pixel first: the VAE, whose own loss is 100 times higher
        assert names() == ["vae-sharp", "ae-blurry", "old-run"] and "best test MSE/pixel first" in caption()
        assert [str(c.label) for c in table.columns.values()][2] == "test MSE/pixel"
        assert [str(table.get_row_at(i)[2]) for i in range(3)] == ["0.03", "0.06", "-"]
        await pilot.press("o")  # cross-entropy per pixel: the same order here
        assert [str(c.label) for c in table.columns.values()][2] == "test BCE/pixel" and names() == [
            "vae-sharp", "ae-blurry", "old-run"]
        await pilot.press("o")
        assert app.screen.order == "newest" and names()[-1] == "old-run"


async def test_compare_ranks_by_the_per_pixel_error_and_never_by_objectives_that_differ(make_app):
    paths = mixed(Path("sessions"))
    replays = [Replay(sessions.open_session(paths[k])) for k in ("ae", "vae")]
    table = figures_table(replays, ["ae-blurry", "vae-sharp"], 4)
    console = Console(width=200, record=True)
    console.print(table)
    text = " ".join(console.export_text().split())
    assert text.index("vae-sharp") < text.index("ae-blurry")  # best test MSE/pixel first
    assert "test MSE/pixel" in text and "not comparable here" in text
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        home = app.screen
        table = home.query_one("#sessions", DataTable)
        await until(pilot, lambda: table.row_count == 3)
        table.focus()
        await pilot.press("m", "down", "m", "c")
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        seen = []
        for _ in range(40):  # every figure `o` offers, round to the first: the errors first, never an objective
            await pilot.press("o")
            seen.append(screen.sort)
            if screen.sort == "test_mse_pixel":
                break
        assert seen[0] == "test_bce_pixel" and seen[-1] == "test_mse_pixel" and len(seen) > 3
        assert not any(ranking.is_objective(key) for key in seen), seen


def test_ls_ranks_by_the_per_pixel_error(tmp_path):
    mixed(tmp_path)
    for by in ("mse", "bce"):
        out = aetui(tmp_path, "ls", "--rank-by", by, env={"COLUMNS": "80"}).stdout
        assert out.index("vae-sharp") < out.index("ae-blurry") < out.index("old-run"), out
        assert ranking.LABELS[by].split()[1][:3] in out  # the column names the figure (MSE, BCE)
    refused = aetui(tmp_path, "ls", "--rank-by", "loss")
    assert refused.returncode == 2


def test_the_sweep_ranking_compare_and_aetui_sweep_share_names_the_same_best(tmp_path):
    paths = mixed(tmp_path)
    trials = [sessions.open_session(paths[k]) for k in ("ae", "vae", "old")]
    columns, rows = standings.ranking(trials, [])
    assert [row[columns.index("test_mse_pixel")] for row in rows][:2] == [0.03, 0.06]
    best, figures = standings.best(trials)
    assert best.name == "vae-sharp" and figures["test_mse_pixel"] == 0.03
    assert standings.best(trials, "bce")[0].name == "vae-sharp"


async def test_home_and_ls_tree_show_a_branch_under_its_parent(make_app, capsys):
    import json

    paths = mixed(Path("sessions"))
    record = json.loads((paths["vae"] / "session.json").read_text())
    record["parent"] = {"name": "old-run", "how": "branch", "epoch": 2}
    (paths["vae"] / "session.json").write_text(json.dumps(record))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one("#sessions", DataTable)
        await until(pilot, lambda: table.row_count == 3)
        table.focus()
        await pilot.press("o")  # (best first)
        names = [str(table.get_row_at(i)[0]).strip() for i in range(table.row_count)]
        assert names == ["ae-blurry", "old-run", "└ vae-sharp"]  # (the best, but under its parent)
    capsys.readouterr()
    from aetui import cli

    assert cli.main(["--sessions", "sessions", "ls", "--tree"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line.split()[0:2] for line in lines if "old-run" in line or "vae-sharp" in line]
    assert rows[0][0] == "old-run" and rows[1] == ["└", "vae-sharp"]
    assert any("(branch @2)" in line for line in lines)
