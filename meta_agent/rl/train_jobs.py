"""``python -m meta_agent train``: a MetaRL walk-forward's trainings as parallel Ray tasks.

The windows x pairs of a walk-forward backtest train independently of each other. Each task
is one process (:mod:`meta_agent.rl.walkforward`) that sets Freqtrade up from the same
arguments a ``freqtrade backtesting`` run gets, computes one pair's features over the whole
timerange once and trains its share of that pair's windows. The models land in FreqAI's own
layout (``user_data/models/<identifier>-<contract>/sub-train-<PAIR>_<timestamp>/``), so the
backtest with the same arguments finds them all and only decides, sequentially, carrying the
agent's state across windows as always. The same seeds give the same models either way.

The seeds of a window's ensemble train inside that window's task, one after another.
Each pair's ``pair_dictionary.json`` entry is written here, once every task has finished:
tasks do not write the shared file at once.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from meta_agent.data.importer import pair_stem
from meta_agent.errors import MetaRLError
from meta_agent.progress import TaskProgress
from meta_agent.rl.parallel import Job, call_process
from meta_agent.rl.walkforward import TrainedWindow


class TrainingTaskError(MetaRLError, RuntimeError):
    """A training task failed; the message names the pair and windows and points at its log."""


@dataclass(frozen=True)
class TrainingPlan:
    """What to train: the arguments a ``freqtrade backtesting`` run of MetaRL gets (configs,
    ``--timerange``, ``--datadir``, ``--fee``...; not ``--pairs``), the pairs, where the tasks'
    logs go."""

    backtest_args: tuple[str, ...]
    pairs: tuple[str, ...]
    log_dir: Path

    def jobs(self, parts: int) -> list[Job]:
        """Each pair's windows split into ``parts`` tasks (see :func:`shares_per_pair`)."""
        return [
            Job(
                f"training {pair}" + (f" part {part + 1}/{parts}" if parts > 1 else ""),
                (self, pair, part, parts),
            )
            for pair in self.pairs
            for part in range(parts)
        ]


def shares_per_pair(slots: int, pairs: int) -> int:
    """``ceil(slots / pairs)``: every slot busy, while each task computes its pair's features
    (the same for all of that pair's windows) only once."""
    return max(1, math.ceil(slots / max(pairs, 1)))


def train_share(plan: TrainingPlan, pair: str, part: int, parts: int) -> list[TrainedWindow]:
    """One task: train windows ``part`` (mod ``parts``) of ``pair`` in a child process."""
    plan.log_dir.mkdir(parents=True, exist_ok=True)
    name = f"{pair_stem(pair)}-part{part + 1}of{parts}"
    log, result = plan.log_dir / f"{name}.log", plan.log_dir / f"{name}.json"
    result.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "meta_agent.rl.walkforward",
        pair, str(part), str(parts), str(result), "--", *plan.backtest_args,
    ]  # fmt: skip
    with log.open("w") as handle:
        returncode = call_process(command, handle)
    if returncode != 0 or not result.is_file():
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        cause = next(
            (line for line in reversed(lines) if "Error" in line), lines[-1] if lines else ""
        )
        share = f"windows {part + 1}, {part + 1} + {parts}, ... " if parts > 1 else "all windows"
        raise TrainingTaskError(f"Training {pair} ({share}) failed: {cause.strip()}; see {log}.")
    return [TrainedWindow(**window) for window in json.loads(result.read_text())]


def record_models(windows: Sequence[TrainedWindow]) -> list[Path]:
    """Point each model folder's ``pair_dictionary.json`` at every pair's newest window, as
    FreqAI's own backtest leaves it (FreqAI loads a pair's models only when its entry names
    one). Entries of other pairs are kept. Returns the files written."""
    newest: dict[tuple[Path, str], TrainedWindow] = {}
    for window in windows:
        key = (Path(window.data_path).parent, window.pair)
        if key not in newest or window.trained_timestamp > newest[key].trained_timestamp:
            newest[key] = window
    written = []
    for folder in sorted({folder for folder, _ in newest}):
        path = folder / "pair_dictionary.json"
        entries: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
        for (owner, pair), window in newest.items():
            if owner == folder:
                entries[pair] = {
                    **entries.get(pair, {"extras": {}}),
                    "model_filename": window.model_filename,
                    "trained_timestamp": window.trained_timestamp,
                    "data_path": window.data_path,
                }
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(entries))
        os.replace(partial, path)
        written.append(path)
    return written


def train(
    plan: TrainingPlan,
    workers: int | None = None,
    address: str | None = None,
    progress: TaskProgress | None = None,
) -> list[TrainedWindow]:
    """Train every window of every pair; returns them (``reused``: the model existed).

    Args:
        workers: Tasks at once. 1 runs them one after another without Ray; more run them as
            Ray tasks; ``None``: one per core, or per CPU of the cluster.
        address: A Ray cluster (default ``RAY_ADDRESS``, else a local Ray on loopback).
        progress: Told the number of tasks, the running ones and each one that finishes
            (default: nothing is shown).

    Raises:
        TrainingTaskError: a task failed (after Ray's retries of a dead worker, the run is
            stopped as :class:`meta_agent.rl.parallel.TaskFailedError` naming it).
    """
    from meta_agent.rl.parallel import ray_session, run_tasks

    shown = progress or TaskProgress(Console(quiet=True), "trainings")
    windows: list[TrainedWindow] = []
    if workers == 1:
        jobs = plan.jobs(1)  # one task per pair, in this process
        shown.set_total(len(jobs))
        for job in jobs:
            shown.running([job.name])
            windows += train_share(*job.args)
            shown.finished(job.name)
    else:
        with ray_session(workers, address) as slots:
            jobs = plan.jobs(shares_per_pair(slots, len(plan.pairs)))
            shown.set_total(len(jobs))

            def done(job: Job, result: list[TrainedWindow]) -> None:
                windows.extend(result)
                shown.finished(job.name)

            def running(jobs_now: list[Job]) -> None:
                shown.running([job.name for job in jobs_now])

            run_tasks(train_share, jobs, slots, done, running)
    shown.running([])
    windows.sort(key=lambda window: (window.pair, window.index))
    record_models(windows)
    return windows
