"""Where a sweep's trials run: `local`, a pool of processes on this machine (one per GPU), or
`ray`, one Ray task per trial (Ray places, schedules and retries them). Both yield each trial's
outcome (`worker.run_trial`'s plain dict) as it finishes.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Iterator

from aetui.core.errors import AetuiError
from aetui.core.sweeps.sweep import Trial
from aetui.core.sweeps.worker import run_trial, stop_trial, trial_running


def _pool_init(devices) -> None:
    """A local worker takes one device for its lifetime: `CUDA_VISIBLE_DEVICES` before TensorFlow
    loads (so inside the worker its GPU is GPU 0). Ctrl-C and a hangup are the sweep's to handle."""
    import signal

    from aetui.core.backend import log_path

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop_trial)
    threading.Thread(target=_orphaned, args=(os.getppid(),), name="aetui-parent-watch", daemon=True).start()
    device = devices.get()
    if device is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = device
    with open(log_path(), "ab") as log:  # TensorFlow's chatter, from several processes at once
        os.dup2(log.fileno(), 2)


def _orphaned(parent: int, every: float = 1.0) -> None:
    """In a local worker: once the sweep's process is gone (killed outright: no SIGTERM came), stop
    the trial in progress after its batch (`interrupted`, resumable) and end this process, rather
    than train on for nobody."""
    while os.getppid() == parent:
        time.sleep(every)
    stop_trial()
    while trial_running():
        time.sleep(0.2)
    os._exit(0)


def run_local(trials: list[Trial], workers: int | None = None, gpus: int | None = None) -> Iterator[dict]:
    """Run trials in a pool of processes, one per GPU (else `workers`, default 2), yielding outcomes
    as trials finish. A worker that dies takes the pool with it: the trials it had not finished
    run again in a new pool (once), going on from their sessions.

    Closing the generator early (Ctrl-C in the caller) cancels the trials not started and stops
    the running ones after their current batch (SIGTERM: `interrupted`, resumable).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    ids = visible_gpus() if gpus is None else [str(i) for i in range(gpus)]
    context = multiprocessing.get_context("spawn")  # TensorFlow does not survive a fork
    todo, tries = list(trials), {t.name: 0 for t in trials}
    while todo:
        size = max(1, min(len(todo), workers or (len(ids) or 2)))
        devices = context.Queue()
        for i in range(size):
            devices.put(ids[i % len(ids)] if ids else None)
        pool = ProcessPoolExecutor(size, mp_context=context, initializer=_pool_init, initargs=(devices,))
        futures = {pool.submit(run_trial, t): t for t in todo}
        todo = []
        try:
            for future in as_completed(futures):
                trial = futures[future]
                try:
                    yield future.result()
                except BrokenProcessPool:
                    tries[trial.name] += 1
                    if tries[trial.name] <= 1:
                        todo.append(trial)
                    else:
                        yield {"name": trial.name, "status": "failed", "epochs": 0,
                               "reason": "its worker process died twice"}
        finally:
            if todo or not all(f.done() for f in futures):  # stopped early, or broken
                for child in multiprocessing.active_children():
                    child.terminate()  # SIGTERM: running trials stop after their batch
            pool.shutdown(wait=True, cancel_futures=True)


def require_ray():
    """The `ray` module, or one line saying how to install it (before a sweep writes anything)."""
    try:
        import ray
    except ImportError:
        from aetui.core.errors import install_hint

        raise AetuiError(f"the ray backend needs Ray, which is not installed: {install_hint('ray')}") from None
    return ray


def run_ray(trials: list[Trial], address: str | None = None, gpus_per_trial: float | None = None,
            cpus_per_trial: float = 1, retries: int = 2) -> Iterator[dict]:
    """Run each trial as a Ray task (Ray places, schedules and retries them), yielding outcomes as
    they finish. `address` joins a running cluster (`auto`, or `ray://host:10001`); without it a
    local Ray starts with this machine's CPUs. Ray starts here, before the first outcome is asked
    for, so that signal handlers the caller sets afterwards are not replaced by Ray's own."""
    ray = require_ray()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not address:  # a private local Ray: no token to write into ~/.ray
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, logging_level="ERROR", log_to_driver=False,
                 **({} if address else {"num_cpus": os.cpu_count() or 1, "object_store_memory": 100 * 2**20}))
    return _ray_outcomes(ray, trials, started, gpus_per_trial, cpus_per_trial, retries)


def _ray_outcomes(ray, trials: list[Trial], started: bool, gpus_per_trial: float | None, cpus_per_trial: float,
                  retries: int) -> Iterator[dict]:
    """Submit the trials as Ray tasks and yield their outcomes as they finish; shut the Ray this
    sweep started down at the end (which ends tasks still running: they read `killed`)."""
    try:
        if gpus_per_trial is None:
            gpus_per_trial = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
        # A retried trial (its worker died) resumes its own session from the last saved epoch.
        options = {"num_cpus": cpus_per_trial, "max_retries": retries}
        if gpus_per_trial:
            options["num_gpus"] = gpus_per_trial  # Ray sets CUDA_VISIBLE_DEVICES for the task
        else:
            options["runtime_env"] = {"env_vars": {"CUDA_VISIBLE_DEVICES": ""}}  # no GPU grabbed by accident
        task = ray.remote(**options)(run_trial)  # (max_retries: Ray reruns a trial whose worker died)
        pending = {task.remote(t): t for t in trials}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                trial = pending.pop(ref)
                try:
                    yield ray.get(ref)
                except Exception as err:  # a task that failed after its retries
                    yield {"name": trial.name, "status": "failed", "epochs": 0,
                           "reason": f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"}
    finally:
        if started:
            ray.shutdown()


def visible_gpus() -> list[str]:
    """The ids of the GPUs this process may use (as `CUDA_VISIBLE_DEVICES` names them)."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [d.strip() for d in env.split(",") if d.strip() and d.strip() != "-1"]
    from aetui.core import backend

    return [str(i) for i in range(backend.gpu_count())]
