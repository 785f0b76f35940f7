"""``python -m meta_agent``: data import, offline Freqtrade runs and snapshot recording."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from meta_agent.errors import ConfigError, MetaRLError

DEFAULT_SOURCE = Path("../shared/data")
DEFAULT_DATADIR = Path("user_data/data")
#: Beside the other generated output, never in the checkout's root.
DEFAULT_ATTRIBUTION_REPORT = Path("user_data/reports/attribution.html")


def _data_import(args: argparse.Namespace) -> int:
    from meta_agent.data.importer import import_data

    report = import_data(args.source, args.datadir)
    for line in report.written:
        print(f"wrote {line}")
    print(f"Imported {len(report.written)} files from {args.source} into {args.datadir}.")
    return 0


def _freqtrade(args: argparse.Namespace) -> int:
    from freqtrade.main import main as freqtrade_main

    from meta_agent.config import validated_on_load
    from meta_agent.offline import offline_markets
    from meta_agent.security import check_freqtrade_command

    argv = list(args.freqtrade_args)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        raise SystemExit("usage: python -m meta_agent freqtrade [--offline] -- SUBCOMMAND ...")
    check_freqtrade_command(argv)  # `trade` and `webserver` may start the API server
    with ExitStack() as stack:
        stack.enter_context(validated_on_load())  # meta_rl is checked whatever the command
        if args.offline:
            stack.enter_context(offline_markets())
        replay: dict[str, object] = {"finished": False}
        if args.replay:
            from meta_agent.replay.clock import replay_clock

            replay = stack.enter_context(replay_clock(args.replay))
        try:
            freqtrade_main(argv)
        except SystemExit as exc:  # freqtrade.main always exits; hand its code on
            # The end of a replay stops Freqtrade like Ctrl-C (130): a normal end here.
            return 0 if replay["finished"] else int(exc.code or 0)
    return 0


def _replay(args: argparse.Namespace) -> int:
    from meta_agent.replay.session import run

    return run(
        datadir=args.datadir,
        userdir=args.userdir,
        pairs=args.pairs,
        start=args.start,
        hours=args.hours,
        configs=args.config or [Path("config.json")],
        port=args.port,
    )


def _utc_hour(text: str) -> datetime:
    """``2022-11-05`` or ``2022-11-05T13:00`` as a UTC datetime on a whole hour."""
    import pandas as pd

    try:
        moment = pd.Timestamp(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date: {text!r}") from exc
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    if moment != moment.floor("1h"):
        raise argparse.ArgumentTypeError(f"{text!r} is not on a whole hour")
    return moment.to_pydatetime()


def _snapshot_record(args: argparse.Namespace) -> int:
    from meta_agent.offline import record_snapshot

    print(f"wrote {record_snapshot(args.exchange, args.pairs)}")
    return 0


def _report_sources(args: argparse.Namespace) -> int:
    from meta_agent.evaluation.sources_report import sources_report

    table = sources_report(
        args.config, args.pair, args.timerange, args.fee, args.exchange, args.stake
    )
    print(
        f"\nStandalone strategies, {args.exchange} {args.pair} 1h, {args.timerange}, "
        f"fee {args.fee:.2%} per side:\n"
    )
    print(table)
    return 0


def _sources(args: argparse.Namespace) -> int:
    from meta_agent.signals import list_sources
    from meta_agent.strategy.discovery import standalone_strategies

    found = standalone_strategies(args.strategy_path)
    strategies = {source: name for name, source in found.items()}
    print(f"{'source':30} {'family':15} {'standalone strategy':22} description")
    for spec in list_sources():
        strategy = strategies.get(spec.source_id, "-")
        print(f"{spec.source_id:30} {spec.family:15} {strategy:22} {spec.description}")
    return 0


def _report_attribution(args: argparse.Namespace) -> int:
    from meta_agent.evaluation.attribution_report import decision_lines, write_attribution_report

    print(f"wrote {write_attribution_report(args.models, args.out)}")
    if args.lines:
        print("\n".join(decision_lines(args.models)[-args.lines :]))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from meta_agent.evaluation.plan import EvaluationInputError, make_plan
    from meta_agent.evaluation.run import evaluate

    if args.workers == 1 and args.address:
        raise EvaluationInputError(
            "`--workers 1` runs the backtests in this process, without Ray; drop `--address` "
            "or ask for 2 or more workers (or leave --workers out: the cluster's CPUs)."
        )
    logging.getLogger("freqtrade").setLevel(logging.WARNING)
    plan = make_plan(
        configs=args.config or [Path("config.json")],
        datadir=args.datadir,
        pairs=args.pairs,
        timerange=args.timerange,
        out=args.out,
        exchange=args.exchange,
        strategies=args.strategies,
        fee=args.fee,
        portfolio=args.portfolio,
    )
    if plan.late_pairs:
        listed = ", ".join(f"{pair} ({first})" for pair, first in plan.late_pairs.items())
        print(f"later listings, trading once their own warm-up is over: {listed}")
    evaluate(
        plan,
        ["python", "-m", "meta_agent", *sys.argv[1:]],
        workers=args.workers,
        address=args.address,
    )
    return 0


def _merged_config(paths: Sequence[Path | str]) -> dict[str, object]:
    """The config files merged as Freqtrade merges them (later files win), user_data default."""
    import json

    from freqtrade.misc import deep_merge_dicts

    config: dict[str, object] = {}
    for path in paths:
        config = deep_merge_dicts(json.loads(Path(path).read_text()), config)
    config.setdefault("user_data_dir", "user_data")
    return config


def _train(args: argparse.Namespace) -> int:
    from rich.console import Console

    from meta_agent.progress import TaskProgress
    from meta_agent.rl.train_jobs import TrainingPlan, train

    if args.workers == 1 and args.address:
        raise MetaRLError(
            "`--workers 1` trains one window share after another, without Ray; drop `--address` "
            "or ask for 2 or more workers (or leave --workers out: the cluster's CPUs)."
        )
    pairs = args.pairs
    if not pairs:
        exchange = _merged_config(args.config).get("exchange")
        pairs = exchange.get("pair_whitelist", []) if isinstance(exchange, dict) else []
    if not pairs:
        raise MetaRLError("No pairs: pass --pairs or set exchange.pair_whitelist in the config.")
    backtest_args = [arg for path in args.config for arg in ("--config", str(path))]
    backtest_args += ["--strategy", args.strategy, "--timerange", args.timerange]
    if args.userdir:
        backtest_args += ["--userdir", str(args.userdir)]
    if args.datadir:
        backtest_args += ["--datadir", str(args.datadir)]
    if args.fee is not None:
        backtest_args += ["--fee", str(args.fee)]
    logs = args.logs or Path(args.userdir or "user_data") / "logs" / "train"
    plan = TrainingPlan(tuple(backtest_args), tuple(pairs), Path(logs))
    with TaskProgress(Console(), "trainings") as progress:
        windows = train(plan, workers=args.workers, address=args.address, progress=progress)
    reused = sum(window.reused for window in windows)
    folders = sorted({str(Path(window.data_path).parent) for window in windows})
    print(
        f"Trained {len(windows) - reused} windows ({reused} already trained) for "
        f"{', '.join(pairs)}; models in {', '.join(folders)}. `freqtrade backtesting` with the "
        "same --config and --timerange now decides from them."
    )
    return 0


def _tune(args: argparse.Namespace) -> int:
    from meta_agent.evaluation.tune import SearchSettings, run_search

    config = _merged_config(args.config)
    freqai = config.get("freqai")
    freqai = freqai if isinstance(freqai, dict) else {}
    settings = SearchSettings(
        folds=tuple(args.folds),
        seeds=args.seeds,
        retrain_days=args.retrain_days,
        train_days=int(freqai.get("train_period_days", 730)),
        test_size=float(freqai.get("data_split_parameters", {}).get("test_size", 0.2)),
        fee=args.fee,
    )
    table = run_search(
        config,
        Path(args.datadir),
        args.pairs,
        settings,
        Path(args.out),
        samples=args.samples,
        workers=args.workers,
        address=args.address,
    )
    print(table.to_markdown(index=False, floatfmt=".2f"))
    print(f"best design: {Path(args.out) / 'best.json'} (use it as a second --config)")
    return 0


def _ablation(args: argparse.Namespace) -> int:
    from meta_agent.evaluation.ablation import run_ablation

    config = _merged_config(args.config)
    table = run_ablation(
        config,
        Path(args.datadir),
        args.pairs,
        args.folds,
        args.seeds,
        Path(args.out),
        fee=args.fee,
        workers=args.workers,
    )
    print(table.to_markdown(index=False, floatfmt=".2f"))
    return 0


def _portfolio_study(args: argparse.Namespace) -> int:
    from meta_agent.data.universe import universe_pairs
    from meta_agent.evaluation.portfolio_study import (
        Study,
        run_study,
        source_signals,
        trainings_for,
    )
    from meta_agent.rl.portfolio.panel import build_panel

    config = _merged_config(args.config)
    universe = args.training_pairs or universe_pairs("USDT")
    traded = args.pairs or universe
    missing = [pair for pair in traded if pair not in universe]
    if missing:
        raise ConfigError(f"--pairs {missing} are not in the training universe {universe}.")
    signals = source_signals(config, Path(args.datadir), universe) if args.sources else None
    panel = build_panel(Path(args.datadir), universe, source_signals=signals)
    trainings = trainings_for(args.steps, args.sources, args.per_coin)
    if args.trainings:
        known = [training.name for training in trainings]
        unknown = [name for name in args.trainings if name not in known]
        if unknown:
            raise ConfigError(f"--trainings {unknown} unknown; known: {known}.")
        trainings = [training for training in trainings if training.name in args.trainings]
    study = Study(
        panel,
        trainings,
        args.folds,
        args.seeds,
        [universe.index(pair) for pair in traded],
        Path(args.out),
        retrain_days=args.retrain_days,
        fee=args.fee,
    )
    table = run_study(study, workers=args.workers, prior_trials=args.prior_trials)
    columns = [c for c in table.columns if c != "gates"]
    print(table[columns].to_markdown(index=False, floatfmt=".2f"))
    print(f"configurations counted for the deflated Sharpe: {table.attrs['trials']}")
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _ray_arguments(parser: argparse.ArgumentParser, what: str, sequential: bool = True) -> None:
    """``--workers`` and ``--address``: how many ``what`` run at once, and on which Ray."""
    one = "; 1: one after another, without Ray" if sequential else ""
    parser.add_argument(
        "--workers",
        type=_positive_int,
        help=f"{what} at once, as Ray tasks (default: one per core, or per CPU of the cluster)"
        + one,
    )
    parser.add_argument(
        "--address",
        help="run on this Ray cluster, e.g. 10.0.0.5:6379, ray://head:10001 or auto "
        "(default: $RAY_ADDRESS, else a local Ray on loopback)",
    )


def _design_study_arguments(parser: argparse.ArgumentParser) -> None:
    """What the ablation and the design search share: configs, Binance data, pairs, the
    design years, seeds, the fee."""
    parser.add_argument("--config", nargs="+", default=["config.json"])
    parser.add_argument("--datadir", default="user_data/data/binance")
    parser.add_argument("--pairs", nargs="+", default=["BTC/USDT", "ETH/USDT"])
    parser.add_argument(
        "--folds", nargs="+", type=int, default=[2021, 2022], help="design years, never 2023"
    )
    parser.add_argument("--seeds", type=_positive_int, default=3)
    parser.add_argument("--fee", type=float, default=0.004)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m meta_agent", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="market and external data")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    importer = data_commands.add_parser(
        "import", help="build a Freqtrade datadir from a local data folder"
    )
    importer.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="input folder")
    importer.add_argument("--datadir", type=Path, default=DEFAULT_DATADIR, help="output datadir")
    importer.set_defaults(func=_data_import)

    freqtrade = commands.add_parser(
        "freqtrade",
        help="run any freqtrade command; --offline takes markets from the pinned snapshot",
    )
    freqtrade.add_argument("--offline", action="store_true", help="no network for markets")
    freqtrade.add_argument(
        "--replay",
        metavar="URL",
        help="run `trade` on the clock of a replay exchange (meta_agent.replay) at URL",
    )
    freqtrade.add_argument("freqtrade_args", nargs=argparse.REMAINDER)
    freqtrade.set_defaults(func=_freqtrade)

    replay = commands.add_parser(
        "replay",
        help="serve recorded Kraken candles as a local exchange for a manual dry-run",
        description="Write a user data folder with the history before --start and a config to "
        "lay over yours, print the `freqtrade trade` command that runs on it, and serve the "
        "replay exchange until Ctrl-C (OPERATIONS.md, section 8).",
    )
    replay.add_argument("--start", type=_utc_hour, required=True, help="first candle, UTC")
    replay.add_argument("--hours", type=_positive_int, default=168, help="candles to replay")
    replay.add_argument("--pairs", nargs="+", default=["BTC/USD", "ETH/USD"])
    replay.add_argument(
        "--config",
        type=Path,
        action="append",
        default=None,
        help="your config(s), named in the printed command (default: config.json)",
    )
    replay.add_argument("--datadir", type=Path, default=DEFAULT_DATADIR, help="imported data")
    replay.add_argument("--userdir", type=Path, default=Path("user_data/replay"))
    replay.add_argument("--port", type=int, default=8765, help="0: any free port")
    replay.set_defaults(func=_replay)

    snapshot = commands.add_parser("snapshot", help="pinned market snapshots")
    snapshot_commands = snapshot.add_subparsers(dest="snapshot_command", required=True)
    record = snapshot_commands.add_parser("record", help="record markets from the live exchange")
    record.add_argument("--exchange", required=True, help="ccxt id, e.g. kraken")
    record.add_argument("--pairs", nargs="+", required=True, help="symbols, e.g. BTC/USD")
    record.set_defaults(func=_snapshot_record)
    listing = commands.add_parser("sources", help="list the registered signal sources")
    listing.add_argument(
        "--strategy-path",
        type=Path,
        default=Path("strategies"),
        help="where the standalone source strategies are (default: strategies/)",
    )
    listing.set_defaults(func=_sources)

    evaluate = commands.add_parser(
        "evaluate", help="MetaRL against its baselines: real backtests, metrics, report"
    )
    evaluate.add_argument("--config", type=Path, action="append", required=True)
    evaluate.add_argument("--exchange", help="override the config's exchange (and stake)")
    evaluate.add_argument("--datadir", type=Path, required=True, help="e.g. user_data/data/binance")
    evaluate.add_argument("--pairs", nargs="+", required=True)
    evaluate.add_argument("--timerange", required=True, help="YYYYMMDD-YYYYMMDD")
    evaluate.add_argument("--out", type=Path, default=Path("user_data/evaluation"))
    evaluate.add_argument("--strategies", nargs="+", help="default: MetaRL and every baseline")
    evaluate.add_argument("--fee", type=float, help="per side (default: the exchange's taker fee)")
    evaluate.add_argument(
        "--portfolio",
        action="store_true",
        help="each strategy as one backtest over all pairs in one wallet (1/N per pair)",
    )
    _ray_arguments(evaluate, "backtests")
    evaluate.set_defaults(func=_evaluate)

    training = commands.add_parser(
        "train",
        help="train a MetaRL walk-forward backtest's windows in parallel (Ray); the backtest "
        "with the same arguments then reuses the models",
    )
    training.add_argument("--config", type=Path, action="append", required=True)
    training.add_argument("--timerange", required=True, help="the backtest's, YYYYMMDD-YYYYMMDD")
    training.add_argument("--pairs", nargs="+", help="default: the config's pair_whitelist")
    training.add_argument("--userdir", type=Path, help="as for freqtrade backtesting")
    training.add_argument("--datadir", type=Path, help="as for freqtrade backtesting")
    training.add_argument("--fee", type=float, help="as for freqtrade backtesting")
    training.add_argument("--strategy", default="MetaRL")
    _ray_arguments(training, "trainings")
    training.add_argument("--logs", type=Path, help="one log per task (<userdir>/logs/train)")
    training.set_defaults(func=_train)

    study = commands.add_parser(
        "portfolio-study",
        help="the trend book and pooled residual agents over the coin universe, walk-forward "
        "(cheap, outside Freqtrade)",
    )
    _design_study_arguments(study)
    study.set_defaults(pairs=None)
    study.add_argument(
        "--training-pairs", nargs="+", help="the universe one agent learns from (default: 13)"
    )
    study.add_argument("--steps", type=_positive_int, default=120_000, help="per agent")
    study.add_argument("--retrain-days", type=_positive_int, default=90)
    study.add_argument("--sources", action="store_true", help="add the sources-on-the-clock row")
    study.add_argument("--per-coin", action="store_true", help="add one agent per traded coin")
    study.add_argument(
        "--trainings", nargs="+", help='only these rows, e.g. "pooled, book + context"'
    )
    study.add_argument(
        "--prior-trials", type=int, default=0, help="configurations tried before, for the DSR"
    )
    study.add_argument("--workers", type=_positive_int, default=2)
    study.add_argument("--out", default="user_data/portfolio")
    study.set_defaults(func=_portfolio_study)

    ablation = commands.add_parser(
        "ablation",
        help="walk-forward ablation of the allocator's levers (cheap, outside Freqtrade)",
    )
    _design_study_arguments(ablation)
    ablation.add_argument("--workers", type=_positive_int, default=2)
    ablation.add_argument("--out", default="user_data/ablation")
    ablation.set_defaults(func=_ablation)

    search = commands.add_parser(
        "tune",
        help="Ray Tune search over the allocator's design, scored on inner validation slices",
    )
    _design_study_arguments(search)
    search.add_argument("--samples", type=_positive_int, default=8, help="designs to try")
    search.add_argument("--retrain-days", type=_positive_int, default=180)
    _ray_arguments(search, "trials", sequential=False)
    search.add_argument("--out", default="user_data/tune")
    search.set_defaults(func=_tune)

    report = commands.add_parser("report", help="reports that the README quotes")
    report_commands = report.add_subparsers(dest="report_command", required=True)
    sources = report_commands.add_parser(
        "sources", help="backtest every standalone source strategy offline; print a table"
    )
    sources.add_argument(
        "--config", type=Path, default=Path("config.json"), help="its strategy_path is searched"
    )
    sources.add_argument("--pair", default="BTC/USDT")
    sources.add_argument("--timerange", default="20200101-20231231")
    sources.add_argument("--fee", type=float, default=0.004, help="per side (Kraken: 0.004)")
    sources.add_argument("--exchange", default="binance", help="datadir under user_data/data")
    sources.add_argument("--stake", default="USDT", help="stake currency of --pair")
    sources.set_defaults(func=_report_sources)
    attribution = report_commands.add_parser(
        "attribution", help="bar chart of each model's global attribution per source, per fold"
    )
    attribution.add_argument(
        "--models", type=Path, required=True, help="user_data/models/<identifier>-<contract>"
    )
    attribution.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_ATTRIBUTION_REPORT,
        help=f"the HTML file (default: {DEFAULT_ATTRIBUTION_REPORT}, its folder created)",
    )
    attribution.add_argument(
        "--lines", type=int, default=0, help="also print the last N exposure-change lines"
    )
    attribution.set_defaults(func=_report_attribution)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; MetaRL errors print one line and exit 1 instead of a traceback."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except MetaRLError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
