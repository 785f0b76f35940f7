"""The Ray engine under ``evaluate``: results, exclusive jobs, failures named, dead workers."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from meta_agent.rl.parallel import Job, TaskFailedError, ray_session, run_tasks


@pytest.fixture(scope="module")
def ray_local() -> Iterator[int]:
    """One local Ray (two slots, on loopback) for the module: starting it takes seconds."""
    with ray_session(2) as slots:
        yield slots


def interval(seconds: float) -> tuple[float, float, str]:
    start = time.time()
    time.sleep(seconds)
    return start, time.time(), os.getcwd()


def fail_on(name: str, bad: str, marker: str) -> str:
    if name == bad:
        deadline = time.time() + 60
        while not Path(marker).exists() and time.time() < deadline:
            time.sleep(0.05)  # fail only once the other task's child process runs
        time.sleep(0.5)
        raise ValueError(f"no candles for {name}")
    if name == "slow":  # a child process that only a cancelled task stops
        from meta_agent.rl.parallel import call_process

        with open(marker, "w") as log:
            call_process(["sleep", "53.21"], log)
    return name


def die_once(marker: str) -> str:
    if not Path(marker).exists():
        Path(marker).touch()
        os._exit(1)  # a worker killed mid-task, e.g. by the out-of-memory killer
    return "retried"


def die_always() -> None:
    os._exit(1)


def run(function: Any, jobs: list[Job], slots: int, max_retries: int = 1) -> dict[str, Any]:
    results: dict[str, Any] = {}

    def record(job: Job, result: Any) -> None:
        results[job.name] = result

    run_tasks(function, jobs, slots, record, max_retries=max_retries)
    return results


def test_every_job_returns_and_exclusive_jobs_never_overlap(ray_local: int) -> None:
    jobs = [
        Job("a", (1.0,), exclusive="drawer"),
        Job("b", (1.0,), exclusive="drawer"),
        Job("c", (0.2,)),
        Job("d", (0.2,)),
    ]
    results = run(interval, jobs, ray_local)
    assert set(results) == {"a", "b", "c", "d"}
    (a_start, a_end, _), (b_start, b_end, _) = results["a"], results["b"]
    assert a_end <= b_start or b_end <= a_start
    assert {cwd for *_, cwd in results.values()} == {os.getcwd()}  # the driver's directory


def test_a_task_that_raises_fails_the_run_naming_it_and_stops_the_others(
    ray_local: int, tmp_path: Path
) -> None:
    marker = str(tmp_path / "slow.log")
    bad = "TrendMA on ETH/USDT"
    jobs = [Job(name, (name, bad, marker)) for name in ("slow", bad)]
    with pytest.raises(TaskFailedError) as err:
        run(fail_on, jobs, ray_local)
    assert str(err.value) == (
        "Task 'TrendMA on ETH/USDT' failed: ValueError: no candles for TrendMA on ETH/USDT"
    )
    assert isinstance(err.value.__cause__, ValueError)
    running = subprocess.run(["pgrep", "-f", "sleep 53.21"], capture_output=True, check=False)
    assert running.returncode == 1, "the cancelled task's child process must be gone"


def test_a_died_worker_is_retried(ray_local: int, tmp_path: Path) -> None:
    assert run(die_once, [Job("x", (str(tmp_path / "died"),))], ray_local) == {"x": "retried"}


def test_a_worker_that_keeps_dying_fails_the_run_naming_it(ray_local: int) -> None:
    with pytest.raises(TaskFailedError, match=r"'MetaRL on BTC/USDT' failed 2 times \(its worker"):
        run(die_always, [Job("MetaRL on BTC/USDT")], ray_local, max_retries=1)


def test_cli_rejects_an_address_without_ray(capsys: pytest.CaptureFixture) -> None:
    from meta_agent.cli import build_parser, main

    code = main([
        "evaluate", "--config", "config.json", "--datadir", "x", "--pairs", "BTC/USDT",
        "--timerange", "20221101-20221201", "--workers", "1", "--address", "127.0.0.2:6379",
    ])  # fmt: skip
    assert code == 1
    assert capsys.readouterr().err.startswith("error: `--workers 1` runs the backtests in this")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["evaluate", "--config", "c", "--datadir", "d", "--pairs", "P",
                                   "--timerange", "t", "--workers", "0"])  # fmt: skip
    assert "must be 1 or more" in capsys.readouterr().err
