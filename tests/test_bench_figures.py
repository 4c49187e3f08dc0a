"""`make bench` and `make reproduce` leave the checkout as it was: they write into bench/out/, and only
`make readme-figures` (bench/figures.py) puts their figures into the README and bench/results/.
Long jobs say where they are: a line per step with its time (tools/steps.py for the installs)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECTION = "| figure | measured | goal | |\n| --- | --- | --- | --- |\n| a test figure | 1.5 | 2 | met |\n\nMeasured here."


def _git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--ignored=no"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout


def _results_folder(tmp_path: Path) -> Path:
    """What `make bench` leaves in its results folder: a figure and the README's table."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "throughput.json").write_text('{"machine": "test", "ae-32": {"samples_per_s": 1}}\n')
    (out / "bench.md").write_text(SECTION + "\n")
    return out


def _checkout_copy(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "bench").mkdir(parents=True)
    shutil.copy(ROOT / "README.md", root / "README.md")
    shutil.copytree(ROOT / "bench" / "results", root / "bench" / "results",
                    ignore=shutil.ignore_patterns("reproduce-sessions"))
    return root


def test_bench_and_reproduce_write_through_the_results_folder_only():
    """No measuring script writes a file itself or names the README: every figure and table goes
    through bench/figures.py's `write` and `section`, into bench/out/."""
    for script in ("run.py", "reproduce.py", "gpu.py"):
        source = (ROOT / "bench" / script).read_text()
        tree = ast.parse(source)
        calls = {node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Attribute)}
        assert not calls & {"write_text", "write_bytes"}, script
        assert not any(isinstance(node, ast.Name) and node.id == "open" for node in ast.walk(tree)), script
        assert "README.md" not in source and "published.write(" in source
        assert script == "gpu.py" or "published.section(" in source
    assert "bench/out/" in (ROOT / ".gitignore").read_text().splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_readme_figures_puts_a_results_folder_into_the_readme_and_results(tmp_path):
    out, root = _results_folder(tmp_path), _checkout_copy(tmp_path)
    before, status = (root / "README.md").read_text(), _git_status()
    done = subprocess.run(["make", "-s", "readme-figures", f"ARGS=--from {out} --root {root}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "updated bench/results/throughput.json, README.md (bench)" in done.stdout
    after = (root / "README.md").read_text()
    head, rest = before.split("<!-- bench:start -->")
    assert after == head + "<!-- bench:start -->\n" + SECTION + "\n<!-- bench:end -->" + rest.split("<!-- bench:end -->")[1]
    assert (root / "bench" / "results" / "throughput.json").read_text() == (out / "throughput.json").read_text()
    again = subprocess.run([sys.executable, "bench/figures.py", "--from", str(out), "--root", str(root)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "already say this" in again.stdout
    assert _git_status() == status  # (the checkout itself is untouched)


def test_readme_figures_without_results_changes_nothing(tmp_path):
    root = _checkout_copy(tmp_path)
    (tmp_path / "empty").mkdir()
    done = subprocess.run([sys.executable, "bench/figures.py", "--from", str(tmp_path / "empty"), "--root", str(root)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "run `make bench` or `make reproduce` first" in done.stderr
    assert (root / "README.md").read_text() == (ROOT / "README.md").read_text()


def test_the_reproduce_footnote_says_reused_only_when_sessions_were():
    code = ("import sys; sys.path.insert(0, 'bench'); import reproduce as r; "
            "print(repr(r.reuse_note([], 10))); print(r.reuse_note(['a', 'b'], 10)); print(r.reuse_note(['a'], 1))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["''", " as it reused 2 of the 10 sessions from earlier runs (a, b)",
                                       " as it reused the sessions earlier runs finished"]


def test_an_install_prints_a_line_per_step_with_its_time_and_keeps_its_exit_status():
    pip_like = "print('Requirement already satisfied: numpy'); print('Collecting tensorflow (from aetui)'); " \
               "print('Installing collected packages: a, b, c'); print('Successfully installed a b c')"
    out = subprocess.run([sys.executable, "tools/steps.py", "install", sys.executable, "-c", pip_like], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    lines = out.stdout.splitlines()
    assert out.returncode == 0 and len(lines) == 4, out.stdout
    assert lines[0].startswith("install:  0:0") and lines[0].endswith("Collecting tensorflow")
    assert "installing 3 package(s)" in lines[1] and "installed 3 package(s)" in lines[2]
    assert lines[3].startswith("install: done in 0:0")
    failing = subprocess.run([sys.executable, "tools/steps.py", "install", sys.executable, "-c",
                              "print('ERROR: no matching distribution'); raise SystemExit(3)"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert failing.returncode == 3 and "ERROR: no matching distribution" in failing.stderr
    assert "failed after 0:0" in failing.stderr
