"""``make bench``: speed and memory of every MetaRL stage against Freqtrade's stock FreqAI RL.

    python benchmarks/bench.py [--repeats 5] [--e2e-repeats 2] [--skip-e2e] [--quick]

Each measurement runs in its own child process; its peak RSS is the operating system's
(``wait4``). Timed figures are repeated ``--repeats`` times (end to end: ``--e2e-repeats``) and
reported as median [min-max]. Stages (the reference in brackets):

- signals: every ``config.json`` source over 4 Binance pairs x 4 years of 1h candles
  [FreqAI's example feature set on the same candles];
- training: PPO learning steps/s and raw environment steps/s, same features and PPO settings
  [FreqAI's ``ReinforcementLearner`` environment];
- inference: per-candle decision time over 2 000 candles, and p50/p99 of one live decision
  (observation, risk mask, policy; then with SHAP attribution) [``rl_model_predict``:
  ``model.predict`` through ``rolling().apply``];
- end to end: offline walk-forward backtest of BTC/USDT + ETH/USDT 1h over 2022 with
  ``config.json`` [``ReinforcementLearner`` with ``strategies/StockRL.py`` as ``evaluate`` runs
  it: 90/30-day windows, 5 training cycles];
- end to end, parallel: the same MetaRL backtest after ``python -m meta_agent train
  --workers 2`` [the stock backtest]; training scaling, 2 workers [1 worker, and the ideal];
  peak RSS of the driver and of one training task; Ray's session start and per-task cost.

Prints a table and writes ``benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import stages  # noqa: E402
from meta_agent.evaluation.plan import STOCK_RL_CONFIG, STOCK_RL_WINDOWS  # noqa: E402
from meta_agent.offline import backtest_command  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.json"
#: The imported datadir (`make data`); the tests point it at their own import.
DATADIR = Path(os.environ.get("METARL_BENCH_DATADIR", ROOT / "user_data" / "data"))
PACKAGES = ("freqtrade", "stable-baselines3", "torch", "numpy", "pandas", "shap", "ccxt")


def measured(command: list[str], what: str) -> tuple[str, float, float]:
    """Run ``command``; its stdout, wall seconds and peak RSS in MiB (the OS's ``wait4``)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        assert process.stdout is not None
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise SystemExit(f"{what} failed:\n{errors.read()[-3000:]}")
    return output, wall, usage.ru_maxrss / 1024


def run_child(stage: str, **kwargs: Any) -> tuple[dict[str, Any], float]:
    """Run ``stages.<stage>(**kwargs)`` in a child; its result and peak RSS in MiB."""
    command = [sys.executable, __file__, "--child", stage, json.dumps(kwargs, default=str)]
    output, _, rss = measured(command, f"benchmark stage {stage}")
    return json.loads(output.strip().splitlines()[-1]), rss


def child(stage: str, arguments: str) -> None:
    kwargs = json.loads(arguments)
    if "datadir" in kwargs:
        kwargs["datadir"] = Path(kwargs["datadir"])
    print(json.dumps(getattr(stages, stage)(**kwargs)))


def spread(values: list[float], scale: float = 1.0) -> dict[str, float]:
    array = np.asarray(values) * scale
    return {
        "median": float(np.median(array)),
        "min": float(array.min()),
        "max": float(array.max()),
        "n": len(array),
    }


def percentiles(values: list[float], scale: float = 1e3) -> dict[str, float]:
    array = np.asarray(values) * scale
    return {"p50": float(np.percentile(array, 50)), "p99": float(np.percentile(array, 99))}


def _e2e_config(userdir: Path, kind: str, quick: bool) -> tuple[list[str], str]:
    """``--config`` arguments and the strategy of one end-to-end backtest in ``userdir``."""
    overrides: dict[str, Any] = {
        "exchange": {"name": "binance", "pair_whitelist": ["BTC/USDT", "ETH/USDT"]},
        "stake_currency": "USDT",
        "fiat_display_currency": "",
        "max_open_trades": 2,
        "freqai": {"identifier": f"bench-{kind}"},
        "meta_rl": {"data_root": str(DATADIR)},
    }
    strategy = "MetaRL"
    if kind == "stock":
        # As `evaluate` runs Freqtrade's stock RL: its own 90/30-day windows and 5 training
        # cycles (config.json's 730-day windows and 35 cycles are sized for MetaRL's daily
        # decisions; on every hourly candle they would cost the stock model hours a window).
        strategy = "StockRL"
        overrides.update(
            freqaimodel="ReinforcementLearner",
            strategy_path=str(ROOT / "strategies"),
        )
        overrides["freqai"].update(rl_config=STOCK_RL_CONFIG, **STOCK_RL_WINDOWS)
    if quick:
        overrides["freqai"].update(train_period_days=30, backtest_period_days=15)
    config = userdir / "bench.json"
    config.write_text(json.dumps(overrides))
    return ["--config", str(ROOT / "config.json"), "--config", str(config)], strategy


def _e2e_range(quick: bool) -> list[str]:
    return [
        "--timerange",
        "20220101-20220201" if quick else "20220101-20221231",
        "--datadir",
        str(DATADIR / "binance"),
    ]


def end_to_end(kind: str, quick: bool) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one offline walk-forward backtest, fresh models."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as tmp:
        userdir = Path(tmp)
        configs, strategy = _e2e_config(userdir, kind, quick)
        command = backtest_command([
            *configs, "--strategy", strategy, *_e2e_range(quick),
            "--userdir", str(userdir), "--export", "none",
        ])  # fmt: skip
        _, wall, rss = measured(command, f"{kind} backtest")
        return wall, rss


def parallel_end_to_end(quick: bool, workers: int) -> dict[str, float]:
    """The MetaRL backtest of :func:`end_to_end`, its windows first trained by
    ``python -m meta_agent train --workers N``: wall seconds of both steps and peak RSS (MiB)
    of the driver and of the largest training task (from the tasks' logs)."""
    from meta_agent.rl.walkforward import PEAK_MEMORY_LINE

    with tempfile.TemporaryDirectory(prefix="bench-parallel-") as tmp:
        userdir = Path(tmp)
        configs, strategy = _e2e_config(userdir, "metarl", quick)
        common = [*configs, "--strategy", strategy, *_e2e_range(quick), "--userdir", str(userdir)]
        train = [
            sys.executable, "-m", "meta_agent", "train", *common,
            "--workers", str(workers), "--logs", str(userdir / "logs"),
        ]  # fmt: skip
        _, train_wall, driver_rss = measured(train, f"train --workers {workers}")
        backtest = backtest_command([*common, "--export", "none"])
        _, backtest_wall, backtest_rss = measured(backtest, "backtest after training")
        tasks = [
            float(line.split(PEAK_MEMORY_LINE)[1].split()[0])
            for log in (userdir / "logs").glob("*.log")
            for line in log.read_text().splitlines()
            if PEAK_MEMORY_LINE in line
        ]
        return {
            "train_s": train_wall,
            "backtest_s": backtest_wall,
            "total_s": train_wall + backtest_wall,
            "driver_rss_mib": driver_rss,
            "task_rss_mib": max(tasks),
            "backtest_rss_mib": backtest_rss,
        }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    repeats = 2 if args.quick else args.repeats
    candles, steps, decisions = (800, 1024, 200) if args.quick else (2000, 8192, 1000)
    stages_out: dict[str, Any] = {}

    ours, ours_rss = run_child("signals_metarl", repeats=repeats, datadir=DATADIR)
    ref, ref_rss = run_child("signals_reference", repeats=repeats, datadir=DATADIR)
    stages_out["signals"] = {
        "what": f"{ours['sources']} sources over {ours['candles']} candles (4 pairs x 4 years)",
        "unit": "s",
        "metarl": spread(ours["seconds"]),
        "reference": spread(ref["seconds"]),
        "reference_is": "FreqAI's example feature set (FreqaiExampleStrategy)",
        "peak_rss_mib": {"metarl": ours_rss, "reference": ref_rss},
    }

    train_args = {"repeats": repeats, "candles": candles, "steps": steps}
    ours, ours_rss = run_child("training", which="metarl", **train_args)
    ref, ref_rss = run_child("training", which="stock", **train_args)
    stages_out["training_learn"] = {
        "what": f"PPO.learn({steps}) on {candles} candles, config.json's PPO settings",
        "unit": "steps/s",
        "metarl": spread(ours["learn_steps_per_s"]),
        "reference": spread(ref["learn_steps_per_s"]),
        "reference_is": "ReinforcementLearner's MyRLEnv (Base5ActionRLEnv)",
        "peak_rss_mib": {"metarl": ours_rss, "reference": ref_rss},
    }
    ours_learn, ours_rss_learn = ours["learn_steps_per_s"], ours_rss
    stages_out["training_env"] = {
        "what": "environment steps, random actions",
        "unit": "steps/s",
        "metarl": spread(ours["env_steps_per_s"]),
        "reference": spread(ref["env_steps_per_s"]),
        "reference_is": "ReinforcementLearner's MyRLEnv (Base5ActionRLEnv)",
    }

    pooled_steps = 16_384 if args.quick else 120_000
    pooled, pooled_rss = run_child(
        "pooled_training", repeats=repeats, datadir=DATADIR, steps=pooled_steps
    )
    stages_out["training_pooled"] = {
        "what": f"pooled PPO.learn({pooled_steps}) on the 13-coin daily panel, 16 coin episodes "
        "per batched policy call (the portfolio engine, meta_agent/rl/portfolio)",
        "unit": "steps/s",
        "metarl": spread(pooled["learn_steps_per_s"]),
        "reference": spread(ours_learn),
        "reference_is": "MetaRL's single-environment ExposureEnv PPO.learn (the row above)",
        "peak_rss_mib": {"metarl": pooled_rss, "reference": ours_rss_learn},
    }

    infer_args = {"repeats": repeats, "candles": candles, "decisions": decisions}
    ours, ours_rss = run_child("inference", which="metarl", **infer_args)
    ref, ref_rss = run_child("inference", which="stock", **infer_args)
    per_candle = 1e6 / ours["candles"]
    stages_out["inference_batch"] = {
        "what": f"decision per candle over {ours['candles']} candles",
        "unit": "us/candle",
        "metarl": spread(ours["seconds"], per_candle),
        "reference": spread(ref["seconds"], per_candle),
        "reference_is": "rl_model_predict (rolling().apply)",
        "peak_rss_mib": {"metarl": ours_rss, "reference": ref_rss},
    }
    stages_out["inference_live"] = {
        "what": f"one live decision, {decisions} decisions (target p99 < 5 ms)",
        "unit": "ms",
        "metarl": percentiles(ours["single_s"]),
        "reference": percentiles(ref["single_s"]),
        "reference_is": "rl_model_predict on the newest row",
    }
    stages_out["inference_live_attribution"] = {
        "what": "one live decision with SHAP attribution (target p99 < 20 ms)",
        "unit": "ms",
        "metarl": percentiles(ours["single_with_attribution_s"]),
        "reference": None,
        "reference_is": "none: stock FreqAI has no attribution",
    }

    e2e_repeats = 1 if args.quick else args.e2e_repeats
    if not args.skip_e2e:
        runs: dict[str, list[tuple[float, float]]] = {"metarl": [], "stock": []}
        for _ in range(e2e_repeats):
            for kind in runs:
                runs[kind].append(end_to_end(kind, args.quick))
        stages_out["end_to_end"] = {
            "what": "walk-forward backtest BTC/USDT + ETH/USDT 1h, "
            + ("January 2022 (quick)" if args.quick else "2022"),
            "unit": "s",
            "metarl": spread([wall for wall, _ in runs["metarl"]]),
            "reference": spread([wall for wall, _ in runs["stock"]]),
            "reference_is": "ReinforcementLearner + StockRL as evaluate runs it (90/30-day "
            "windows, 5 training cycles)",
            "peak_rss_mib": {
                "metarl": max(rss for _, rss in runs["metarl"]),
                "reference": max(rss for _, rss in runs["stock"]),
            },
        }
    if not args.skip_e2e:
        workers = 2
        parallel = [parallel_end_to_end(args.quick, workers) for _ in range(e2e_repeats)]
        one = [parallel_end_to_end(args.quick, 1) for _ in range(e2e_repeats)]
        stock = stages_out["end_to_end"]["reference"]
        stages_out["end_to_end_parallel"] = {
            "what": f"the same MetaRL backtest, its windows trained by `train --workers {workers}`"
            " first (training + backtest)",
            "unit": "s",
            "metarl": spread([run["total_s"] for run in parallel]),
            "reference": stock,
            "reference_is": "ReinforcementLearner + StockRL (end_to_end's reference)",
            "peak_rss_mib": {
                "metarl": max(run["driver_rss_mib"] for run in parallel),
                "reference": stages_out["end_to_end"]["peak_rss_mib"]["reference"],
            },
            "steps_s": {
                "train": spread([run["train_s"] for run in parallel]),
                "backtest": spread([run["backtest_s"] for run in parallel]),
            },
            "task_peak_rss_mib": max(run["task_rss_mib"] for run in parallel),
        }
        ideal = float(np.median([run["train_s"] for run in one])) / workers
        stages_out["training_scaling"] = {
            "what": f"`train` wall time, 1 worker vs {workers} (reference: 1 worker; ideal "
            f"{workers} workers: {ideal:.0f} s)",
            "unit": "s",
            "metarl": spread([run["train_s"] for run in parallel]),
            "reference": spread([run["train_s"] for run in one]),
            "reference_is": "the same trainings, one after another (--workers 1, no Ray)",
            "ideal_s": ideal,
        }
    overhead, _ = run_child("ray_overhead", tasks=20 if args.quick else 200)
    stages_out["ray_overhead"] = {
        "what": f"Ray: local session start, and one no-op task on {overhead['slots']} slots",
        "unit": "ms",
        "metarl": {"p50": overhead["per_task_s"] * 1e3, "p99": overhead["per_task_s"] * 1e3},
        "reference": None,
        "reference_is": f"session start {overhead['session_start_s']:.1f} s",
        "session_start_s": overhead["session_start_s"],
    }
    return stages_out


def ratio(stage: dict[str, Any]) -> float | None:
    """How many times better MetaRL is: reference / MetaRL for times, MetaRL / reference for
    rates."""
    if stage["reference"] is None:
        return None
    key = "median" if "median" in stage["metarl"] else "p99"
    ours, ref = stage["metarl"][key], stage["reference"][key]
    return ours / ref if stage["unit"] == "steps/s" else ref / ours


def fmt(figure: dict[str, float] | None) -> str:
    if figure is None:
        return "-"
    if "median" in figure:
        return f"{figure['median']:.4g} [{figure['min']:.4g}-{figure['max']:.4g}]"
    return f"p50 {figure['p50']:.3g} / p99 {figure['p99']:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--e2e-repeats", type=int, default=2)
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    start = time.perf_counter()
    results = measure(args)
    document = {
        "command": " ".join(["python", "benchmarks/bench.py", *sys.argv[1:]]),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "packages": {name: version(name) for name in PACKAGES},
        },
        "wall_seconds": time.perf_counter() - start,
        "stages": {name: {**stage, "ratio": ratio(stage)} for name, stage in results.items()},
    }
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    print(
        f"\n{os.cpu_count()} CPUs, "
        + ", ".join(f"{k} {v}" for k, v in document["machine"]["packages"].items())
    )
    header = f"{'stage':28} {'unit':10} {'MetaRL':34} {'reference':34} {'ratio':>7}"
    print(f"{header}  peak RSS MiB (ours/ref)")
    for name, stage in document["stages"].items():
        rss = stage.get("peak_rss_mib")
        memory = f"{rss['metarl']:.0f}/{rss['reference']:.0f}" if rss else ""
        factor = f"{stage['ratio']:.3g}x" if stage["ratio"] else "-"
        print(
            f"{name:28} {stage['unit']:10} {fmt(stage['metarl']):34} "
            f"{fmt(stage['reference']):34} {factor:>7}  {memory}"
        )
    print(f"\nwrote {args.out} ({document['wall_seconds'] / 60:.1f} min)")


if __name__ == "__main__":
    main()
