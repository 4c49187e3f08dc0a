"""The domain never imports the UI; importing aetui's core and CLI does not load TensorFlow."""

import subprocess
import sys

import pytest

CORE = ["aetui.core.recipe", "aetui.core.hparams", "aetui.core.data", "aetui.core.events", "aetui.core.sessions",
        "aetui.core.training", "aetui.core.analysis.latent", "aetui.core.analysis.sparsity", "aetui.core.paths"]


def loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("module", CORE)
def test_core_imports_no_ui_and_no_tensorflow(module):
    mods = loaded_after(f"import {module}")
    for banned in ("textual", "rich", "plotext", "aetui.ui", "tensorflow", "keras"):
        assert banned not in mods, f"{module} imports {banned}"


def test_cli_start_does_not_load_tensorflow():
    mods = loaded_after("import aetui.cli")
    assert "tensorflow" not in mods and "keras" not in mods
