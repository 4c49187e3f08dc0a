"""One way into the store: the package's source is walked (ast) for every call that opens a file
by other means than `aetui.core.store.files`, which opens relative to a folder's descriptor with
`O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC`, takes regular files only and bounds what it reads. The
few calls allowed open no file of the store; each says what it opens and why that is safe."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "aetui"
THE_WAY_IN = "core/store/files.py"

OPENERS = {"open", "os.open", "io.open", "os.fdopen", "gzip.open", "bz2.open", "lzma.open", "codecs.open",
           "tempfile.mkstemp", "tempfile.NamedTemporaryFile", "tempfile.TemporaryFile", "h5py.File",
           "np.load", "np.save", "np.savez", "np.savez_compressed", "numpy.load"}
"""Calls that open a file by name."""
METHODS = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "load_weights", "save_weights",
           "create_file_writer"}
"""Methods that open a file by name (`Path.read_text`, `Path.open`, Keras's weights, TensorBoard's writer)."""
THE_WAY = {"Folder.open", "files.read_bytes"}
"""Calls of `aetui.core.store.files` itself."""

ALLOWED = {
    ("core/families/__init__.py", "available_memory", "open"):
        "/proc/meminfo: the kernel's, outside any store",
    ("core/backend.py", "stderr_to", "open"):
        "TensorFlow's log in the user's temporary folder (`log_path`), outside the store",
    ("core/sweeps/backends.py", "_pool_init", "open"):
        "TensorFlow's log in the user's temporary folder (`log_path`), outside the store",
    ("ui/running.py", "_terminal_kept_from", "os.fdopen"):
        "a descriptor on the terminal of descriptor 2 (`own_descriptor`), for Textual",
    ("ui/running.py", "own_descriptor", "os.open"):
        "the terminal's device, as `os.ttyname(2)` names it (/dev/pts/N), outside any store",
    ("ui/running.py", "_terminal_kept_from", "open"):
        "TensorFlow's log in the user's temporary folder (`log_path`), outside the store",
    ("core/errors.py", "install_hint", "metadata.distribution('aetui').read_text"):
        "aetui's own installed metadata (direct_url.json: where it was installed from), no store file",
    ("views/terminal.py", "detach", "os.open"):
        "/dev/null, for the descriptors of a terminal that went away",
    ("views/export.py", "atomic", "tempfile.mkstemp"):
        "a new file (O_EXCL) in `aetui export`'s destination, a folder the user names outside the store",
    ("views/export.py", "export", "tmp.write_text"):
        "`EXPORT-INCOMPLETE`, written to a new temporary file in `aetui export`'s destination",
    ("views/export.py", "write", "open"):
        "the CSV files of `aetui export`, written to that new temporary file in its destination",
    ("views/export.py", "_events", "tf.summary.create_file_writer"):
        "TensorBoard's event files, written into `aetui export`'s destination",
    ("core/store/npz.py", "_check", "self._zip.open"):
        "a member of a zip held in memory (read through `files` first)",
    ("core/store/npz.py", "_read", "self._zip.open"):
        "a member of a zip held in memory (read through `files` first)",
    ("core/store/npz.py", "npz_bytes", "np.savez_compressed"):
        "an in-memory buffer",
    ("core/families/base.py", "load_weights", "self.model.load_weights"):
        "a private copy of the session's weights (`files.private_copy`: a folder only this user can enter)",
    ("core/training/trainer.py", "_load_weights", "built.load_weights"):
        "`Built.load_weights` of the private copy of the session's weights (`files.private_copy`)",
    ("core/training/keeping.py", "write_weights", "self.writer.save_weights"):
        "`SessionWriter.save_weights`, which writes through the session's `files.Folder`",
    ("core/training/lineage.py", "copy", "writer.save_weights"):
        "`SessionWriter.save_weights` of a branch's first state, which writes through the session's `files.Folder`",
    ("core/families/base.py", "weights_file", "self.model.save_weights"):
        "a file in a new private temporary folder (`tempfile.TemporaryDirectory`), outside the store",
    ("core/families/base.py", "weights_file", "path.read_bytes"):
        "the file just written in that private temporary folder",
}


def opening_calls() -> set[tuple[str, str, str]]:
    """(module, enclosing function, call) for every call that opens a file by name, outside `files`."""
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        module = str(path.relative_to(PACKAGE))
        if module == THE_WAY_IN:
            continue
        tree = ast.parse(path.read_text(), str(path))
        for function in [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]:
            name = getattr(function, "name", "<module>")
            for node in ast.walk(function):
                if not isinstance(node, ast.Call):
                    continue
                call = ast.unparse(node.func)
                method = node.func.attr if isinstance(node.func, ast.Attribute) else None
                if call in THE_WAY or not (call in OPENERS or method in METHODS):
                    continue
                inner = [f for f in ast.walk(function) if f is not function and
                         isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and node in ast.walk(f)]
                if not inner:  # (counted in the innermost function only)
                    found.add((module, name, call))
    return found


def test_every_file_is_opened_through_the_one_way_in():
    found = opening_calls()
    other = sorted(found - set(ALLOWED))
    assert not other, "files opened another way than aetui.core.store.files:\n" + "\n".join(map(str, other))


def test_every_exception_still_names_a_call_that_is_there():
    stale = sorted(set(ALLOWED) - opening_calls())
    assert not stale, f"allowed calls that are gone (drop them from ALLOWED): {stale}"


def test_the_way_in_opens_with_no_follow_no_block_and_a_type_check():
    source = (PACKAGE / THE_WAY_IN).read_text()
    assert "O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC" in source
    assert source.count("os.open(") == 2  # (a file, and a folder: each once)
    assert "S_ISREG" in source
