"""Shared fixtures: small real datasets, a temporary session store, the shipped recipes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("AETUI_SNAPSHOT_EVERY", "0")
"""Every epoch pictured, in this process and the commands the tests start: the tests of the views
read each epoch's pictures; the snapshot cadence of fast epochs has its own (test_bookkeeping.py)."""

ROOT = Path(__file__).resolve().parents[1]
MNIST = Path(os.environ.get("AETUI_TEST_MNIST", ROOT.parent / "shared" / "data" / "mnist"))


@pytest.fixture(scope="session", autouse=True)
def tensorflow_configured(request):
    """Configure TensorFlow as the app does before any test runs an op; not where each test chosen
    runs the app in a process of its own (the `serial` ones, run alone: four seconds saved)."""
    if all(item.get_closest_marker("serial") for item in request.session.items):
        return
    from aetui.core import backend

    backend.configure()


@pytest.fixture(autouse=True)
def no_run_outlives_its_test(request):
    """A run the test's processes left behind is killed when the test ends, passed or failed: one
    handed over to the background when a workbench's terminal went away, or started with --detach
    (those lead process sessions of their own, which killing a test's children does not reach). They
    are found by the pid their session records, in the test's temporary folder."""
    folder = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if folder is not None:
        from tests.support import end_recorded_runs

        end_recorded_runs(folder)


@pytest.fixture(scope="session")
def digits():
    """The embedded 8x8 digits, first 256 training images: small enough for one-epoch trainings."""
    from aetui.core import data

    return data.load("digits").limited(256)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The real MNIST IDX folder beside the checkout; tests using it skip where it is absent."""
    if not (MNIST / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real MNIST not found at {MNIST}")
    return MNIST


@pytest.fixture
def store(tmp_path) -> Path:
    """An empty session store."""
    return tmp_path / "sessions"


@pytest.fixture(scope="session")
def recipes():
    """Every shipped recipe, by name."""
    from aetui.core import recipe
    from aetui.core.store import paths

    return {name: recipe.load_file(path) for name, path in recipe.discover([paths.builtin_recipes()]).items()}


@pytest.fixture
def spawn():
    """`spawn(argv, **popen_args)` starts a child in its own process group; every child a test
    started is killed, with what it started, when the test ends, passed or failed."""
    from tests import support

    children = []

    def start(argv, **kwargs):
        child = support.start(argv, **kwargs)
        children.append(child)
        return child

    try:
        yield start
    finally:
        for child in children:
            support.end(child)


# --- sessions for the store attacks (tests/test_store_attacks.py, tests/test_crafted_files.py) ---------


@pytest.fixture(scope="module")
def trained(tmp_path_factory, recipes) -> Path:
    """A real one-epoch ae-32 session on 256 digits, with its weights: resumable."""
    from aetui.core import data
    from aetui.core.training import trainer

    store = tmp_path_factory.mktemp("trained")
    return trainer.train(recipes["ae-32"], data.load("digits").limited(256), store, epochs=1, name="run")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """A three-epoch session written by the real writer (no training)."""
    from tests.support import synthetic_session

    return synthetic_session(tmp_path_factory.mktemp("synthetic"), "run", epochs=3, code=2, kind="ae")


# --- the order the suite runs in ----------------------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    """The `slow` tests first (in their order), the quick ones after: the long ones start while
    every worker is busy, and the quick ones fill in at the end, so no worker is left with a
    two-minute test while the others have finished (`make test` hands them out two at a time)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.hookimpl(optionalhook=True)  # (pytest-xdist's hook: none where it is not installed)
def pytest_xdist_auto_num_workers(config):
    """`-n auto`: one worker more than the cores this process may use (`PYTEST_XDIST_AUTO_NUM_WORKERS`
    says otherwise). Many tests wait on the processes they start (a command, a terminal under tmux),
    so a worker per core leaves the cores idle a fifth of the time; measured on 2 cores, quiet: the
    parallel part in 9 min 43 s with three workers, 10 min 40 s with two (the same order, handed
    out two at a time)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "").isdigit():
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    return len(os.sched_getaffinity(0)) + 1
