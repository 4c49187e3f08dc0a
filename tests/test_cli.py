"""The real `aetui` command: a headless run end to end, and one clear line for each user error."""

import pytest

from aetui.core.store import sessions
from tests.support import aetui


def test_headless_train_then_list(store, mnist_dir):
    out = aetui(store, "train", "sparse-kl", "--data", str(mnist_dir), "--limit", "2000", "--epochs", "2",
                "--set", "beta=1", "--set", "p=0.05", "--session", "cli run")
    assert out.returncode == 0, out.stderr
    assert "class counts" in out.stdout and "epoch   2" in out.stdout and "finished" in out.stdout
    s = sessions.open_session(store / "cli-run")
    assert s.epochs_done == 2 and s.meta.params["beta"] == 1.0 and s.meta.dataset["train"] == 2000
    listing = aetui(store, "ls")
    assert "cli-run" in listing.stdout and "finished" in listing.stdout


def test_recipes_lists_every_preset(store):
    out = aetui(store, "recipes")
    assert out.returncode == 0
    for name in ("vae-2d", "ae-32", "sparse-l1", "sparse-kl-wd", "nonneg", "aae-mixture"):
        assert name in out.stdout


@pytest.mark.parametrize("args, fragment", [
    (["train", "nope"], "no recipe named 'nope'"),
    (["train", "ae-32", "--set", "beta=2"], "unknown hyperparameter 'beta'"),
    (["train", "sparse-kl", "--set", "p=1.5"], "p = 1.5 is out of range (valid: 0 < p < 1)"),
    (["train", "sparse-kl", "--set", "beta=nan"], "beta must be finite"),
    (["train", "ae-32", "--data", "/no/such/place"], "--data /no/such/place: no such file or folder"),
    (["train", "ae-32", "--dataset", "cifar"], "unknown dataset 'cifar'"),
    (["train", "ae-32", "--epochs", "0", "--dataset", "digits"], "epochs = 0 is out of range (valid: 1 <= epochs <= 100000)"),
    ([], "the workbench needs a terminal"),  # (its output a pipe here: it drew into it for ever, unseen)
    (["compare", "a", "b"], "the workbench needs a terminal"),
])
def test_user_errors_are_one_clear_line(store, args, fragment):
    out = aetui(store, *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in out.stderr
    assert not store.exists()


def test_broken_recipe_file_names_file_key_and_reason(store, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('kind = "vae"\n[loss]\nreduction = "avg"\n')
    out = aetui(store, "train", str(bad))
    assert out.returncode == 2 and str(bad) in out.stderr and "[loss] reduction" in out.stderr


def test_epoch_lines_are_not_wrapped_in_a_log(store):
    """Output to a file or pipe keeps one line per epoch, however narrow the terminal was."""
    out = aetui(store, "train", "ae-32", "--dataset", "digits", "--limit", "128", "--epochs", "1",
                env={"COLUMNS": "60"})
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if line.startswith("epoch"))
    assert len(line) > 60 and "samples/s" in line


def test_the_short_names_the_screens_show_are_taken_and_listed(store):
    out = aetui(store, "train", "ae-32", "--dataset", "digits", "--limit", "64", "--epochs", "1", "--set", "lr=0.01",
                "--set", "wd=1e-4", "--session", "short")
    assert out.returncode == 0, out.stderr
    assert sessions.open_session(store / "short").meta.params == {"learning_rate": 0.01, "weight_decay": 1e-4}
    listed = aetui(store, "recipes", "--settings", "sparse-kl", env={"COLUMNS": "200"})
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[1]: line for line in listed.stdout.splitlines() if line.startswith("│")}
    assert "lr" in rows["learning_rate"] and "0 < learning_rate <= 10" in rows["learning_rate"]
    assert "wd" in rows["weight_decay"] and "sparsity weight" in rows["beta"] and "0 < p < 1" in rows["p"]
    wrong = aetui(store, "train", "ae-32", "--set", "lx=1")
    assert wrong.returncode == 2 and "learning_rate (lr), weight_decay (wd)" in wrong.stderr


def test_mnist_asked_for_offline_is_one_line_naming_where_its_files_go(store, tmp_path):
    from aetui.core import data

    if data._reachable(data.KERAS_HOST):
        pytest.skip("this machine reaches Keras's download host: the offline case cannot be made here")
    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    from tests.support import command, run

    out = run(command(store, "train", "ae-32", "--dataset", "mnist"),
              whole_env={**env, "KERAS_HOME": str(tmp_path / "keras"), "COLUMNS": "400"})
    assert out.returncode == 2 and out.stdout == ""
    (line,) = out.stderr.strip().splitlines()  # (no TensorFlow log line, no download progress)
    assert "cannot load mnist" in line and "--data FOLDER" in line and "t10k-images-idx3-ubyte.gz" in line
    assert not (store.exists() and any(store.iterdir()))  # (refused before anything is written)


def test_tensorflow_logs_reach_the_terminal_only_with_verbose(tmp_path):
    """A command keeps TensorFlow's log lines off the terminal (they go to $AETUI_LOG) unless
    `--verbose` asks for them."""
    import os
    import subprocess
    import sys

    runs = {}
    for verbose in (False, True):
        log = tmp_path / f"tf-{verbose}.log"
        args = [sys.executable, "-m", "aetui", *(["--verbose"] if verbose else []), "--sessions", str(tmp_path / "s"),
                "--dataset", "digits", "--limit", "64", "train", "ae-32", "--epochs", "1", "--session", f"v{verbose}"]
        env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "AETUI_VERBOSE")}
        out = subprocess.run(args, capture_output=True, text=True, timeout=300, env={**env, "AETUI_LOG": str(log)})
        assert out.returncode == 0, out.stderr[-2000:]
        runs[verbose] = out.stderr, log.read_text() if log.exists() else ""
    quiet, loud = runs[False][0], runs[True][0]
    tf_line = ("oneDNN", "absl::InitializeLog", "cuda drivers", "TensorFlow binary is optimized")
    assert not any(marker in quiet for marker in tf_line), quiet[-2000:]
    assert any(marker in loud for marker in tf_line), loud[-2000:]
