"""TensorFlow and Keras set-up for this machine, done once, before the first operation.

Imported lazily: the first call to `configure()` imports TensorFlow (about two seconds).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

_lock = threading.Lock()
_device: "Device | None" = None


@dataclass(frozen=True)
class Device:
    """The compute device training runs on, in words, and the threading chosen for it."""

    name: str
    """e.g. `GPU 0: NVIDIA H100` or `CPU (2 cores)`."""
    gpu: bool
    intra_op_threads: int
    """0 means TensorFlow's default."""


def require_tensorflow() -> None:
    """Keras on TensorFlow, or one clear error: the adversarial step is TensorFlow's, and live values
    are assigned to TensorFlow variables from another thread (`KERAS_BACKEND=jax` broke both)."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if os.environ["KERAS_BACKEND"] != "tensorflow":
        from aetui.core.errors import AetuiError

        raise AetuiError(f"KERAS_BACKEND={os.environ['KERAS_BACKEND']}: aetui trains with TensorFlow only; unset "
                         "KERAS_BACKEND (or set it to tensorflow)")


def configure(gpu: int | None = None, threads: int | None = None) -> Device:
    """Import TensorFlow, make GPU memory grow on demand, pick threads; idempotent.

    `gpu` picks one visible GPU (others are hidden from TensorFlow). `threads` sets the
    intra-op thread count; by default a CPU-only machine gets one intra-op thread, which
    trains these small dense nets faster on few cores and leaves a core for the UI.
    """
    global _device
    with _lock:
        if _device is not None:
            return _device
        require_tensorflow()
        loud = verbose()  # (`aetui --verbose`: TensorFlow's log lines on the terminal, as it writes them)
        if not loud:  # (3: not even TensorFlow's C++ "errors": with op determinism on, tf.data logs a
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # harmless one per `fit`; real failures raise)
        with nullcontext() if loud else stderr_to(log_path()):
            _device = _setup(gpu, threads)
        return _device


def verbose() -> bool:
    """Whether TensorFlow's log reaches the terminal (`aetui --verbose`, for a command)."""
    return os.environ.get("AETUI_VERBOSE") == "1"


def _setup(gpu: int | None, threads: int | None) -> Device:
    """Import and configure TensorFlow (with stderr already redirected)."""
    import tensorflow as tf

    tf.get_logger().setLevel("INFO" if verbose() else "ERROR")
    gpus = tf.config.list_physical_devices("GPU")
    if gpu is not None:
        if not 0 <= gpu < len(gpus):
            from aetui.core.errors import AetuiError

            raise AetuiError(f"--gpu {gpu}: this machine has {len(gpus)} visible GPU(s)")
        tf.config.set_visible_devices([gpus[gpu]], "GPU")
        gpus = [gpus[gpu]]
    if threads is None:
        env = os.environ.get("AETUI_THREADS")
        threads = int(env) if env else (0 if gpus else 1)
    try:
        for device in gpus:
            tf.config.experimental.set_memory_growth(device, True)
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already ran an op (e.g. in a test): keep its settings
        threads = tf.config.threading.get_intra_op_parallelism_threads()
    if os.environ.get("AETUI_DETERMINISTIC", "1") != "0":  # (reruns give the same figures: see the README)
        tf.config.experimental.enable_op_determinism()
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        label = f"GPU {gpu or 0}: {details.get('device_name', gpus[0].name)}"
    else:
        label = f"CPU ({os.cpu_count()} cores)"
    return Device(label, bool(gpus), threads)


def log_path() -> Path:
    """Where TensorFlow's start-up chatter goes instead of the terminal."""
    return Path(os.environ.get("AETUI_LOG") or Path(tempfile.gettempdir()) / f"aetui-{os.getuid()}-tf.log")


@contextmanager
def stderr_to(path: Path):
    """Point file descriptor 2 at `path` for the duration (TensorFlow's C++ logging writes there)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "ab") as log:
            os.dup2(log.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def gpu_count() -> int:
    """GPUs visible to TensorFlow (listing them does not allocate memory)."""
    configure()  # first: it imports TensorFlow with its start-up chatter sent to the log
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


STRATEGIES = ("mirrored",)
"""The `tf.distribute` strategies `--strategy` can name."""


def distribution(name: str | None):
    """The `tf.distribute` strategy `--strategy` names (None: TensorFlow's default, one device),
    and a line saying what it does here."""
    if name in (None, "", "default"):
        return None, ""
    if not isinstance(name, str):  # a strategy made by the caller (tests: two logical CPUs)
        return name, f"{type(name).__name__} with {name.num_replicas_in_sync} replica(s)"
    if name not in STRATEGIES:
        from aetui.core.errors import AetuiError

        raise AetuiError(f"unknown strategy {name!r} ({', '.join(STRATEGIES)}, or leave it out for one device)")
    import tensorflow as tf

    device = configure()
    # Reduction to one device: the AAE's three optimizers each all-reduce per step, and collective
    # all-reduce ops got out of step between replicas there (shape mismatch); this works for all.
    strategy = tf.distribute.MirroredStrategy(cross_device_ops=tf.distribute.ReductionToOneDevice())
    replicas = strategy.num_replicas_in_sync
    if not device.gpu:
        return strategy, "mirrored: 1 replica on the CPU (no GPU here to mirror across)"
    return strategy, f"mirrored across {replicas} GPU(s)"


def clear() -> None:
    """Free the models of a finished run (a sweep worker trains many in one process)."""
    if "keras" in sys.modules:
        import keras

        keras.backend.clear_session()


def versions() -> dict[str, str]:
    """Library versions, stored with each session (a rerun warns where they differ)."""
    import platform

    import keras
    import numpy as np
    import tensorflow as tf

    import aetui

    return {"aetui": aetui.__version__, "python": platform.python_version(), "numpy": np.__version__,
            "keras": keras.__version__, "tensorflow": tf.__version__}
