"""Independent jobs as Ray tasks: on this machine's cores by default, on a Ray cluster if given.

Local runs start a private Ray instance on loopback (``127.0.0.2``, no dashboard) with one task
slot per core and stop it afterwards. With an address (``--address`` or ``RAY_ADDRESS``) the same
tasks go to an existing cluster, which is left running.

What a cluster needs: every node has this project installed at the same path as the driver
(a task runs in the driver's working directory) and sees, on a shared filesystem at the same
paths, the datadir, the configs, the output folder and ``user_data/models``. Data and models
reach the workers through that shared path, not through Ray's object store; only each task's
result (e.g. one backtest's stats) comes back through the object store.

A task that raises stops the run with the job named; a worker that dies is retried
(``max_retries``) and, if it keeps dying, stops the run the same way. Nothing returns a partial
result. Stopping the run (an error or Ctrl-C) cancels every task still running.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from meta_agent.errors import TaskFailedError

__all__ = ["Job", "TaskFailedError", "call_process", "local_cores", "ray_session", "run_tasks"]

#: Where a local Ray instance listens. Ray would turn 127.0.0.1 into the machine's outward
#: address; another loopback address keeps every connection on this machine.
LOOPBACK = "127.0.0.2"
#: Retries of a task whose worker died (a task that raises is not retried).
MAX_RETRIES = 2
#: How long a stopped run waits for its cancelled tasks to end their child processes.
CANCEL_GRACE_S = 30.0


@dataclass(frozen=True)
class Job:
    """One unit of work: ``function(*args)`` on a worker.

    Args:
        name: Shown in the progress bar and in errors, e.g. ``"TrendMA on BTC/USDT"``.
        args: Positional arguments; they travel to the worker pickled, so keep them small.
        exclusive: Jobs with the same key never run at the same time (e.g. jobs that write
            the same files); ``None`` runs freely.
    """

    name: str
    args: tuple[Any, ...] = field(default_factory=tuple)
    exclusive: str | None = None


def local_cores() -> int:
    """The cores this process may use (its CPU affinity, which containers restrict)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def ray_session(workers: int | None = None, address: str | None = None) -> Iterator[int]:
    """Start local Ray (or connect to ``address`` / ``RAY_ADDRESS``); yield the number of task
    slots: ``workers``, else the local cores or the cluster's CPUs.

    Only a Ray instance started here is shut down on exit; an already initialised one (a test
    fixture, a Tune trial) is used as it is.
    """
    import ray

    if workers is not None and workers < 1:
        raise ValueError(f"The 'workers' parameter of ray_session must be >= 1. Got {workers}.")
    if ray.is_initialized():
        yield workers or int(ray.cluster_resources().get("CPU", 1))
        return
    # No usage report leaves the machine: nothing but loopback (or the given cluster).
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    address = address or os.environ.get("RAY_ADDRESS") or None
    common: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
    if address:
        ray.init(address=address, **common)
        slots = workers or int(ray.cluster_resources().get("CPU", 1))
    else:
        slots = workers or local_cores()
        ray.init(num_cpus=slots, _node_ip_address=LOOPBACK, include_dashboard=False, **common)
    try:
        yield slots
    finally:
        ray.shutdown()


def _run_in(cwd: str, function: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """A task's body: the driver's working directory makes its relative paths valid here."""
    os.chdir(cwd)
    return function(*args)


def run_tasks(
    function: Callable[..., Any],
    jobs: Sequence[Job],
    slots: int,
    on_done: Callable[[Job, Any], None],
    on_running: Callable[[list[Job]], None] | None = None,
    max_retries: int = MAX_RETRIES,
) -> None:
    """Run ``function(*job.args)`` for every job as a Ray task, at most ``slots`` at once, in
    the order given (an ``exclusive`` job waits for its key to be free, the others go ahead).

    ``function`` must be importable on the workers (a module-level function of an installed
    package). Needs a Ray session (:func:`ray_session`). ``on_done(job, result)`` runs on the
    driver as each job finishes; ``on_running(jobs)`` whenever the set of running jobs changes.

    Raises:
        TaskFailedError: the first job that raised, or whose worker died ``max_retries + 1``
            times; every other running job is cancelled first.
    """
    import ray
    from ray.exceptions import RayError, RayTaskError

    remote = ray.remote(_run_in)
    cwd = os.getcwd()
    waiting = list(jobs)
    running: dict[Any, Job] = {}

    def fill_slots() -> None:
        busy = {job.exclusive for job in running.values()} - {None}
        for job in list(waiting):
            if len(running) >= slots:
                break
            if job.exclusive in busy:
                continue
            options = {"num_cpus": 1, "max_retries": max_retries, "name": job.name}
            running[remote.options(**options).remote(cwd, function, job.args)] = job
            waiting.remove(job)
            if job.exclusive is not None:
                busy.add(job.exclusive)
        if on_running is not None:
            on_running(list(running.values()))

    try:
        fill_slots()
        while running:
            ready: list[Any] = []
            while not ready:  # a timeout, so that Ctrl-C reaches this loop
                ready, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
            job = running.pop(ready[0])
            try:
                result = ray.get(ready[0])
            except RayTaskError as err:
                cause = err.cause
                raise TaskFailedError(
                    f"Task '{job.name}' failed: {type(cause).__name__}: {cause}"
                ) from cause
            except RayError as err:
                attempts = "once" if max_retries == 0 else f"{max_retries + 1} times"
                raise TaskFailedError(
                    f"Task '{job.name}' failed {attempts} (its worker died): {err}"
                ) from None
            fill_slots()  # the next task starts before the driver works on this result
            on_done(job, result)
    finally:
        _cancel(list(running))


def _cancel(refs: list[Any]) -> None:
    """Cancel running tasks and give them time to stop their child processes."""
    import ray

    if not refs:
        return
    for ref in refs:
        ray.cancel(ref)
    ray.wait(refs, num_returns=len(refs), timeout=CANCEL_GRACE_S)


def call_process(command: list[str], log: IO[Any]) -> int:
    """Run a child process with its output in ``log``; return its exit code.

    Unlike :func:`subprocess.run`, the wait polls: a cancelled Ray task (an interrupt that
    Python notices only between bytecodes) or Ctrl-C kills the child instead of leaving it
    running.
    """
    with subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT) as process:
        try:
            while process.poll() is None:
                time.sleep(0.1)
        except BaseException:
            process.kill()
            raise
    return process.returncode
