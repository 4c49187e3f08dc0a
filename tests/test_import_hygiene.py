"""The walls hold: the layer contracts (import-linter, `pyproject.toml`) are kept, no module imports
itself back through others, no module grows past 300 lines (the App past 200), every core module
imports no UI (and only the model families and the engine load Keras), and the command line
starts without TensorFlow."""

import pkgutil
import subprocess
import sys
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


def test_the_layer_contracts_are_kept():
    out = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0 and "BROKEN" not in out.stdout, out.stdout[-3000:] + out.stderr[-1000:]


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
                    or m.startswith(("aetui.ui", "aetui.cli", "aetui.views.show"))}, imported
        return
    mods = loaded_after(f"import {module}")
    for banned in ("textual", "plotext", "aetui.ui", "aetui.cli", "aetui.views.show", "aetui.views.figures"):
        assert banned not in mods, f"{module} imports {banned}"
    if not module.startswith(KERAS_MODULES):  # (Keras itself loads rich)
        for banned in ("tensorflow", "keras", "rich"):
            assert banned not in mods, f"{module} imports {banned} at import time"


def test_cli_start_does_not_load_tensorflow():
    mods = loaded_after("import aetui.cli")
    assert "tensorflow" not in mods and "keras" not in mods


def test_every_module_stays_small_and_the_app_is_its_screens_and_messages():
    sizes = {path.relative_to(ROOT): len(path.read_text().splitlines()) for path in (ROOT / "aetui").rglob("*.py")}
    assert len(sizes) > 60
    assert not {path: n for path, n in sizes.items() if n > 300}, "modules over 300 lines"
    app = (ROOT / "aetui" / "ui" / "app.py").read_text().splitlines()
    start = next(i for i, line in enumerate(app) if line.startswith("class AetuiApp("))
    assert len(app) - start < 200
