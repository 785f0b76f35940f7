"""``meta_agent.rl.parallel`` on a two-node Ray cluster on loopback: the head on 127.0.0.2, a worker
node on 127.0.0.3, each with one CPU, both started with ``ray start`` as a user would.

The drivers run in child processes, as ``python -m meta_agent ... --address`` does: the cluster
has its own authentication token (Ray 2.60 starts a head with token authentication), which a
process that already used a local Ray would not pick up. Teardown stops exactly the processes
these ``ray start`` commands started (``ray stop`` would stop every Ray on the machine).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from meta_agent.cli import main

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RAY = str(Path(sys.executable).with_name("ray"))
HEAD_IP, WORKER_IP = "127.0.0.2", "127.0.0.3"
#: How long ``ray start``'s processes get to stop after SIGTERM before SIGKILL (``ray stop``'s).
STOP_GRACE_S = 16.0


@dataclass(frozen=True)
class Cluster:
    """A running cluster: its address and the environment a driver needs to join it."""

    address: str
    client_address: str
    env: dict[str, str]
    logs: Path


def free_port(ip: str) -> int:
    with socket.socket() as sock:
        sock.bind((ip, 0))
        return int(sock.getsockname()[1])


def session_pids(sessions: list[int]) -> list[int]:
    """The processes in these sessions: a ``ray start`` and every process it started."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) in sessions:
                    pids.append(int(entry.name))
            except ProcessLookupError:
                continue
    return pids


def stop(sessions: list[int]) -> None:
    """SIGTERM these sessions' processes, SIGKILL what is left after the grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in session_pids(sessions):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + STOP_GRACE_S
        while session_pids(sessions) and time.monotonic() < deadline:
            time.sleep(0.2)


def ray_start(args: list[str], env: dict[str, str], log: Path, sessions: list[int]) -> None:
    """``ray start ...`` in a session of its own, whose id joins ``sessions`` for the teardown."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [RAY, "start", *args], env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        sessions.append(process.pid)
        code = process.wait()
    assert code == 0, f"`ray start {' '.join(args)}` failed:\n{log.read_text()[-3000:]}"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    # Ray's Unix socket paths must stay short: a folder right under /tmp, not pytest's.
    root = Path(tempfile.mkdtemp(prefix="ray-cluster-", dir="/tmp"))
    token = root / "token"
    token.write_text(secrets.token_hex(32))
    token.chmod(0o600)
    env = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    env.update(RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token))
    # The project importable on every node, tests included (a Ray Client driver's sys.path does
    # not reach the workers).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    port, client_port = free_port(HEAD_IP), free_port(HEAD_IP)
    sessions: list[int] = []
    try:
        ray_start(
            [
                "--head", f"--node-ip-address={HEAD_IP}", f"--port={port}", "--num-cpus=1",
                "--include-dashboard=false", f"--dashboard-host={HEAD_IP}",
                f"--dashboard-port={free_port(HEAD_IP)}",
                f"--dashboard-agent-listen-port={free_port(HEAD_IP)}",
                f"--ray-client-server-port={client_port}",
                f"--temp-dir={root / 'head'}", "--disable-usage-stats",
            ],
            env, root / "head.log", sessions,
        )  # fmt: skip
        ray_start(
            [
                f"--address={HEAD_IP}:{port}", f"--node-ip-address={WORKER_IP}", "--num-cpus=1",
                f"--dashboard-agent-listen-port={free_port(WORKER_IP)}",
                f"--temp-dir={root / 'worker'}", "--disable-usage-stats",
            ],
            env, root / "worker.log", sessions,
        )  # fmt: skip
        yield Cluster(f"{HEAD_IP}:{port}", f"ray://{HEAD_IP}:{client_port}", env, root)
    finally:
        stop(sessions)
        left = session_pids(sessions)
        shutil.rmtree(root, ignore_errors=True)
        assert not left, f"Ray processes left running: {left}"


# --- what the tasks do (imported by the workers from this module) ---


def where(folder: str, name: str) -> dict[str, Any]:
    """Wait until two jobs run at once, then say where this one ran. With one CPU per node, two
    jobs at once are one on each node."""
    import ray

    Path(folder, f"{name.replace('/', '-')}.started").touch()
    deadline = time.monotonic() + 120
    while len(list(Path(folder).glob("*.started"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    return {
        "node_ip": ray.util.get_node_ip_address(),
        "node_id": ray.get_runtime_context().get_node_id(),
        "pid": os.getpid(),
    }


def victim(folder: str, name: str) -> dict[str, Any]:
    """:func:`where`; the first job on the worker node then waits to be killed (``victim.json``
    says whom to kill)."""
    here = where(folder, name)
    target = Path(folder, "victim.json")
    if here["node_ip"] == WORKER_IP and not target.exists():
        partial = Path(folder, "victim.partial")
        partial.write_text(json.dumps({**here, "job": name}))
        partial.rename(target)
        time.sleep(300)
    return here


def drive(scenario: str, address: str, folder: str) -> None:
    """A driver on the cluster: run the scenario's jobs, print the results as one JSON line."""
    import ray

    from meta_agent.rl.parallel import Job, TaskFailedError, ray_session, run_tasks

    function, names, retries = {
        "where": (where, ["a", "b", "c", "d"], 0),
        "killed": (victim, ["BTC/USDT seed 1", "ETH/USDT seed 1"], 2),
        "killed, no retries": (victim, ["BTC/USDT seed 1", "ETH/USDT seed 1"], 0),
    }[scenario]
    results: dict[str, Any] = {}
    with ray_session(address=address) as slots:
        nodes = sorted(node["NodeManagerAddress"] for node in ray.nodes() if node["Alive"])
        jobs = [Job(name, (folder, name)) for name in names]

        def done(job: Job, result: Any) -> None:
            results[job.name] = result

        try:
            run_tasks(function, jobs, slots, done, max_retries=retries)
        except TaskFailedError as err:
            results = {"error": str(err)}
    print(json.dumps({"slots": slots, "nodes": nodes, "results": results}))


def start_driver(
    cluster: Cluster, scenario: str, folder: Path, client: bool = False
) -> subprocess.Popen[str]:
    address = cluster.client_address if client else cluster.address
    call = f"drive({scenario!r}, {address!r}, {str(folder)!r})"
    code = f"from {__name__} import drive; {call}"
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=cluster.env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def outcome(driver: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = driver.communicate(timeout=600)
    assert driver.returncode == 0, err[-3000:]
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    assert result["slots"] == 2 and result["nodes"] == [HEAD_IP, WORKER_IP]
    return result


def kill_the_victim(folder: Path, driver: subprocess.Popen[str]) -> dict[str, Any]:
    """SIGKILL the worker process that runs the victim job, as the out-of-memory killer would."""
    target = folder / "victim.json"
    deadline = time.monotonic() + 300
    while not target.exists() and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert target.exists(), f"no job waited on the worker node: {driver.communicate()}"
    victim: dict[str, Any] = json.loads(target.read_text())
    os.kill(victim["pid"], signal.SIGKILL)
    return victim


def task_names(node: Path) -> set[str]:
    """The tasks a node ran, from the ``:task_name:`` lines Ray writes to its workers' logs."""
    marker = ":task_name:"
    return {
        line.removeprefix(marker).strip()
        for log in node.glob("session_*/logs/worker-*.out")
        for line in log.read_text(errors="replace").splitlines()
        if line.startswith(marker)
    }


# --- the tests ---


@pytest.mark.parametrize("client", [False, True], ids=["gcs-address", "ray-client"])
def test_tasks_run_on_both_nodes(cluster: Cluster, tmp_path: Path, client: bool) -> None:
    results = outcome(start_driver(cluster, "where", tmp_path, client))["results"]
    assert set(results) == {"a", "b", "c", "d"}, results
    assert {r["node_ip"] for r in results.values()} == {HEAD_IP, WORKER_IP}
    assert len({r["node_id"] for r in results.values()}) == 2
    assert results["a"]["node_ip"] != results["b"]["node_ip"]  # the first two ran at once


def test_a_killed_worker_on_the_worker_node_is_retried(cluster: Cluster, tmp_path: Path) -> None:
    driver = start_driver(cluster, "killed", tmp_path)
    victim = kill_the_victim(tmp_path, driver)
    results = outcome(driver)["results"]
    assert victim["node_ip"] == WORKER_IP
    assert set(results) == {"BTC/USDT seed 1", "ETH/USDT seed 1"}
    assert results[victim["job"]]["pid"] != victim["pid"], "a new worker ran the retry"


def test_a_killed_worker_without_retries_fails_the_run_naming_the_job(
    cluster: Cluster, tmp_path: Path
) -> None:
    driver = start_driver(cluster, "killed, no retries", tmp_path)
    victim = kill_the_victim(tmp_path, driver)
    error = outcome(driver)["results"]["error"]
    assert error.startswith(f"Task '{victim['job']}' failed once (its worker died): ")


def test_evaluate_on_the_cluster_writes_what_the_sequential_run_writes(
    cluster: Cluster, imported: Path, tmp_path: Path
) -> None:
    meta = json.loads((PROJECT_ROOT / "config.json").read_text())["meta_rl"]
    (tmp_path / "data.json").write_text(
        json.dumps({"meta_rl": {**meta, "data_root": str(imported)}})
    )
    args = [
        "evaluate", "--config", str(PROJECT_ROOT / "config.json"),
        "--config", str(tmp_path / "data.json"), "--exchange", "binance",
        "--datadir", str(imported / "binance"), "--pairs", "BTC/USDT", "ETH/USDT",
        "--timerange", "20221101-20221201", "--fee", "0.004", "--strategies", "BuyAndHold",
    ]  # fmt: skip
    assert main([*args, "--out", str(tmp_path / "sequential"), "--workers", "1"]) == 0
    on_cluster = subprocess.run(
        [sys.executable, "-m", "meta_agent", *args, "--out", str(tmp_path / "cluster"),
         "--address", cluster.address],
        cwd=PROJECT_ROOT, env=cluster.env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert on_cluster.returncode == 0, on_cluster.stderr[-3000:]

    def summary(name: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((tmp_path / name / "summary.json").read_text())
        return loaded

    sequential, parallel = summary("sequential"), summary("cluster")
    assert parallel.pop("command")[3:] == [*args, "--out", str(tmp_path / "cluster"),
                                           "--address", cluster.address]  # fmt: skip
    sequential.pop("command")  # here: pytest's
    assert parallel == sequential
    assert {r["pair"] for r in parallel["records"]} == {"BTC/USDT", "ETH/USDT"}
    ran = {node: task_names(cluster.logs / node) for node in ("head", "worker")}
    backtests = {"BuyAndHold on BTC/USDT", "BuyAndHold on ETH/USDT"}
    assert ran["head"] & backtests and ran["worker"] & backtests, ran  # one on each node
