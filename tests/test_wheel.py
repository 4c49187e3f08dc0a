"""The wheel is the whole package: built from the checkout and installed alone, outside it, every
module imports and the workbench paints its home screen.

The wheel goes into a virtual environment of its own, which borrows the test environment's
installed libraries (TensorFlow is not downloaded again) but not its editable aetui, and runs from
a folder away from the checkout: a module or data file missing from the wheel fails here.
"""

from __future__ import annotations

import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import aetui
from tests import support

ROOT = Path(__file__).resolve().parents[1]

CHECK = r'''
import asyncio, importlib, sys
from pathlib import Path

import aetui
home = Path(sys.argv[1])
assert Path(aetui.__file__).resolve().is_relative_to(home), f"aetui came from {aetui.__file__}, not the wheel"
names = sys.argv[3].split(",")  # every module of the checkout, whether the wheel has it or not
for name in names:
    importlib.import_module(name)
print("imported", len(names), "modules")

from aetui.core import data, recipe
from aetui.core.store import paths
from aetui.ui.app import AetuiApp
from aetui.ui.screens.home import HomeScreen

shipped = recipe.discover([paths.builtin_recipes()])
assert paths.builtin_recipes().resolve().is_relative_to(home) and len(shipped) >= 9, paths.builtin_recipes()


async def paint() -> None:
    app = AetuiApp(Path(sys.argv[2]), lambda: data.load("digits"), warm_up=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, HomeScreen) and app.screen.query_one("#recipes").row_count:
                break
        assert isinstance(app.screen, HomeScreen), app.screen
        assert app.screen.query_one("#recipes").row_count == len(shipped)
        assert app.stylesheet.rules, "no styles: app.tcss is missing"
    print("painted home with", len(shipped), "recipes")


asyncio.run(paint())
'''


def modules() -> list[str]:
    """Every module of the package in the checkout (`aetui.__main__` aside: importing it runs the CLI)."""
    found = [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "aetui").rglob("*.py")]
    return sorted(name.removesuffix(".__init__") for name in found if name != "aetui.__main__")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from the checkout (no build isolation: hatchling is in the test extras)."""
    out = tmp_path_factory.mktemp("dist")
    built = support.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                         "--disable-pip-version-check", "-w", str(out), str(ROOT)], timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = out.glob("aetui-*.whl")
    return found


def test_the_wheel_holds_every_module_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "aetui").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert sources <= names, sorted(sources - names)
    recipes = {f"aetui/models/{p.name}" for p in (ROOT / "models").glob("*.toml")}
    assert recipes and recipes <= names, sorted(recipes - names)
    assert "aetui/ui/app.tcss" in names


def test_the_wheel_installed_alone_opens_the_workbench(wheel, tmp_path):
    venv = tmp_path / "venv"
    made = support.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], timeout=60)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(support.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                            timeout=30).stdout.strip())
    # The test environment's libraries, as a path line: its .pth files (the editable aetui) stay unread.
    (site / "borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = support.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                             "--quiet", "--disable-pip-version-check", str(wheel)], timeout=120)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    away = tmp_path / "elsewhere"
    away.mkdir()
    version = support.run([str(venv / "bin" / "aetui"), "--version"], cwd=away, timeout=60)
    assert version.returncode == 0, version.stdout + version.stderr
    assert version.stdout.strip() == f"aetui {aetui.__version__}"
    for args, said in ((["--help"], "usage: aetui"), (["recipes"], "vae-2d")):  # the installed command itself
        answered = support.run([str(venv / "bin" / "aetui"), *args], cwd=away, timeout=120)
        assert answered.returncode == 0 and said in answered.stdout, answered.stdout + answered.stderr
    checked = support.run([str(python), "-c", CHECK, str(site), str(away / "sessions"), ",".join(modules())],
                          cwd=away, timeout=180, env={"PYTHONPATH": ""})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "painted home with" in checked.stdout
