"""The walls hold: the layer contracts (import-linter, `pyproject.toml`) are kept and say what the
README says (the store knows nothing of training or control, the families and analysis know no
store, the views no Textual, the UI and the commands sit over everything), an import across one of
them fails, no module imports itself back through others, no module grows past 300 lines (the App
past 200) and no folder past 12 modules, each package says what it owns and may import, every core
module imports no UI (and only the model families and the engine load Keras), and the command line
starts without TensorFlow."""

import ast
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import aetui.core

ROOT = Path(__file__).resolve().parents[1]
KERAS_MODULES = ("aetui.core.families", "aetui.core.training.engine")
"""The core modules that import Keras when imported (all others load it lazily, inside calls)."""
CORE = sorted(m.name for m in pkgutil.walk_packages(aetui.core.__path__, "aetui.core."))


def loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return set(out.stdout.split())


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "lint-imports")], capture_output=True, text=True,
                          cwd=root, timeout=120)


def test_the_layer_contracts_are_kept():
    out = lint_imports(ROOT)
    assert out.returncode == 0 and "BROKEN" not in out.stdout, out.stdout[-3000:] + out.stderr[-1000:]


WALLS = {("aetui.core.store", "aetui.core.training"), ("aetui.core.store", "aetui.core.control"),
         ("aetui.core.families", "aetui.core.store"), ("aetui.core.analysis", "aetui.core.store"),
         ("aetui.views", "textual"), ("aetui.core", "textual"), ("aetui.core", "aetui.views")}
"""(module, what it must not import): the walls the README draws, each a `forbidden` contract."""
LAYERS = ["aetui.cli", "aetui.commands", "aetui.ui", "aetui.views", "aetui.core"]


def test_the_contracts_say_what_the_readme_says():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    forbidden = {(source, banned) for c in contracts if c["type"] == "forbidden"
                 for source in c["source_modules"] for banned in c["forbidden_modules"]}
    assert WALLS <= forbidden, WALLS - forbidden
    assert LAYERS in [c["layers"] for c in contracts if c["type"] == "layers" and "containers" not in c]
    core = next(c["layers"] for c in contracts if c.get("containers") == ["aetui.core"])
    assert core.index("sweeps") < core.index("training") < core.index("control") < core.index("store")


def test_an_import_across_a_wall_fails(tmp_path):
    """A copy of the package where the store reads the trainer, a family the store and analysis a
    session: each breaks its contract."""
    shutil.copytree(ROOT / "aetui", tmp_path / "aetui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for module, imported in (("core/store/locks.py", "aetui.core.training.trainer"),
                             ("core/families/losses.py", "aetui.core.store.sessions"),
                             ("core/analysis/area.py", "aetui.core.store.sessions")):
        with open(tmp_path / "aetui" / module, "a") as source:
            source.write(f"\nimport {imported}  # noqa\n")
    out = lint_imports(tmp_path)
    broken = out.stdout.split("Broken contracts", 1)[-1]
    assert out.returncode != 0, out.stdout[-3000:]
    for module, imported in (("aetui.core.store", "aetui.core.training"), ("aetui.core.families", "aetui.core.store"),
                             ("aetui.core.analysis", "aetui.core.store")):
        assert f"{module} is not allowed to import {imported}" in broken, broken[-3000:]


def test_no_folder_holds_more_than_twelve_modules_and_each_package_says_what_it_owns():
    for folder in [ROOT / "aetui", *(p.parent for p in (ROOT / "aetui").rglob("__init__.py"))]:
        modules = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
        assert len(modules) <= 12, (folder, len(modules))
        init = folder / "__init__.py"
        if folder != ROOT / "aetui":
            doc = ast.get_docstring(ast.parse(init.read_text())) or ""
            assert len(doc) > 100 and "import" in doc, f"{init.relative_to(ROOT)}: what it owns and may import"


def test_no_module_imports_itself_back():
    import grimp

    graph = grimp.build_graph("aetui")
    cycles = {tuple(sorted((module, imported))) for module in graph.modules
              for imported in graph.find_modules_directly_imported_by(module)
              if graph.find_shortest_chain(importer=imported, imported=module)}
    assert not cycles, cycles


def test_every_core_module_is_walked():
    assert len(CORE) > 25 and "aetui.core.training.engine" in CORE and "aetui.core.families.aae" in CORE


@pytest.mark.parametrize("module", CORE)
def test_core_imports_no_ui_and_keras_only_where_declared(module):
    if module.startswith(KERAS_MODULES):  # they load Keras (seconds) and Keras loads rich: read their imports
        import grimp

        graph = grimp.build_graph("aetui", include_external_packages=True)
        imported = graph.find_modules_directly_imported_by(module)
        assert not {m for m in imported if m.split(".")[0] in ("textual", "rich", "plotext")
                    or m.startswith(("aetui.ui", "aetui.cli", "aetui.commands", "aetui.views"))}, imported
        return
    mods = loaded_after(f"import {module}")
    for banned in ("textual", "plotext", "aetui.ui", "aetui.cli", "aetui.commands", "aetui.views"):
        assert banned not in mods, f"{module} imports {banned}"
    if not module.startswith(KERAS_MODULES):  # (Keras itself loads rich)
        for banned in ("tensorflow", "keras", "rich"):
            assert banned not in mods, f"{module} imports {banned} at import time"


def test_cli_start_does_not_load_tensorflow():
    mods = loaded_after("import aetui.cli")
    assert "tensorflow" not in mods and "keras" not in mods


def test_the_workbench_starts_without_numpy():
    """numpy takes about a tenth of a second to import: the workbench paints its first frame
    without it (training, replay and the analyses import it when they start; bench/probes.py's
    first frame says whether it was loaded by then)."""
    assert "numpy" not in loaded_after("from aetui.ui.app import AetuiApp")


def test_every_module_stays_small_and_the_app_is_its_screens_and_messages():
    sizes = {path.relative_to(ROOT): len(path.read_text().splitlines()) for path in (ROOT / "aetui").rglob("*.py")}
    assert len(sizes) > 60
    assert not {path: n for path, n in sizes.items() if n > 300}, "modules over 300 lines"
    app = (ROOT / "aetui" / "ui" / "app.py").read_text().splitlines()
    start = next(i for i, line in enumerate(app) if line.startswith("class AetuiApp("))
    assert len(app) - start < 200
