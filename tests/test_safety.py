"""Safety: no code runs from files (no pickle, recipes are data, weights only), and names stay inside
their folder. Plus the last bad-input case: weights that do not match the recipe."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from aetui.core.errors import AetuiError
from aetui.core.store import sessions
from aetui.core.store.paths import inside, safe_name
from aetui.core.training import trainer
from tests.support import aetui

PACKAGE = Path(__file__).resolve().parents[1] / "aetui"


def test_the_package_never_unpickles_evaluates_or_leaves_safe_mode():
    sources = {p: p.read_text() for p in PACKAGE.rglob("*.py")}
    for path, text in sources.items():
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        for pattern in (r"\bimport pickle\b", r"allow_pickle\s*=\s*True", r"safe_mode\s*=\s*False", r"\beval\(",
                        r"\bexec\(", r"load_model\(", r"yaml\.load\("):
            assert not re.search(pattern, code), f"{path.relative_to(PACKAGE)}: {pattern}"
    loads = [m for text in sources.values() for m in re.findall(r"(?:np\.load|read_array)\([^)]*\)", text)]
    assert loads and all("allow_pickle=False" in call for call in loads)


@pytest.mark.parametrize("name", ["../../evil", "/etc/passwd", "a/b", "..", "x\\..\\y"])
def test_names_cannot_leave_their_folder(tmp_path, name):
    cleaned = safe_name(name) if name.strip("./\\") else None
    if cleaned is not None:
        assert inside(tmp_path, cleaned).parent == tmp_path
    with pytest.raises(AetuiError):
        inside(tmp_path, name)


def test_a_session_name_with_dots_and_slashes_is_made_inside_the_store(tmp_path, digits):
    out = aetui(tmp_path / "store", "train", "ae-32", "--dataset", "digits", "--epochs", "1", "--limit", "128",
                "--session", "../../escape/attempt")
    assert out.returncode == 0, out.stderr
    made = [p for p in tmp_path.rglob("session.json")]
    assert [p.parent.parent for p in made] == [tmp_path / "store"] and made[0].parent.name == "escape-attempt"


def test_a_session_whose_recipe_names_code_is_refused(tmp_path, digits, recipes):
    store = tmp_path / "store"
    trainer.train(recipes["ae-32"], digits, store, epochs=1, name="s")
    meta_path = store / "s" / sessions.META
    meta = json.loads(meta_path.read_text())
    meta["recipe"]["kind"] = "os.system"
    meta["status"] = "stopped"
    meta_path.write_text(json.dumps(meta))
    before = {p: p.read_bytes() for p in (store / "s").rglob("*") if p.is_file()}
    out = aetui(store, "resume", "s", "--epochs", "2")
    assert out.returncode == 2 and "Traceback" not in out.stderr and "kind" in out.stderr, out.stderr
    assert before == {p: p.read_bytes() for p in (store / "s").rglob("*") if p.is_file()}


def test_weights_that_do_not_match_the_recipe_are_one_line_and_change_nothing(tmp_path, digits, recipes):
    store = tmp_path / "store"
    trainer.train(recipes["ae-32"], digits, store, epochs=1, name="w")
    meta_path = store / "w" / sessions.META
    meta = json.loads(meta_path.read_text())
    meta["recipe"]["net"]["code"] = 16  # the saved weights are for a 32-unit code
    meta_path.write_text(json.dumps(meta))
    before = {p: p.read_bytes() for p in (store / "w").rglob("*") if p.is_file()}
    out = aetui(store, "resume", "w", "--epochs", "2")
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "weights do not match its recipe" in out.stderr and "Traceback" not in out.stderr
    assert before == {p: p.read_bytes() for p in (store / "w").rglob("*") if p.is_file()}
