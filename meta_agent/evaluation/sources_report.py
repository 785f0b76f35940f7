"""``python -m meta_agent report sources``: every standalone strategy, backtested offline.

One Freqtrade run (``backtesting --strategy-list``) over the same data, fee and stake, then a
Markdown table of Freqtrade's own figures: trades, total return, max drawdown, Sharpe.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from freqtrade.configuration.load_config import load_config_file
from freqtrade.data.btanalysis import load_backtest_stats

from meta_agent.strategy.discovery import standalone_strategies, strategy_dir


def backtest_args(
    config: Path,
    strategies: list[str],
    pair: str,
    timerange: str,
    fee: float,
    overrides: Path,
    out: Path,
) -> list[str]:
    return [
        "backtesting",
        "--config",
        str(config),
        "--config",
        str(overrides),
        "--strategy-list",
        *strategies,
        "--pairs",
        pair,
        "--timerange",
        timerange,
        "--fee",
        str(fee),
        "--export-directory",
        str(out),
        "--cache",
        "none",
    ]


def markdown_table(stats: dict, strategies: dict[str, str]) -> str:
    """One row per strategy from a Freqtrade backtest result (figures as Freqtrade computes)."""
    lines = [
        "| strategy | source | trades | total return | max drawdown | Sharpe |",
        "|---|---|---|---|---|---|",
    ]
    for name, source_id in strategies.items():
        result = stats["strategy"][name]
        lines.append(
            f"| {name} | `{source_id}` | {result['total_trades']} "
            f"| {result['profit_total']:+.1%} | {result['max_drawdown_account']:.1%} "
            f"| {result['sharpe']:.2f} |"
        )
    first = stats["strategy"][next(iter(strategies))]
    lines.append(f"| *buy and hold (market change)* | | 0 | {first['market_change']:+.1%} | | |")
    return "\n".join(lines)


def sources_report(
    config: Path,
    pair: str,
    timerange: str,
    fee: float,
    exchange: str = "binance",
    stake: str = "USDT",
) -> str:
    """Backtest every standalone strategy (found in ``config``'s ``strategy_path``) on ``pair``
    with ``config`` and return the Markdown table."""
    from freqtrade.main import main as freqtrade_main

    from meta_agent.offline import offline_markets

    strategies = standalone_strategies(strategy_dir(load_config_file(str(config))))
    with tempfile.TemporaryDirectory() as tmp:
        overrides = Path(tmp) / "overrides.json"
        overrides.write_text(
            json.dumps(
                {
                    "exchange": {"name": exchange, "pair_whitelist": [pair]},
                    "stake_currency": stake,
                    "fiat_display_currency": "",
                    "max_open_trades": 1,
                    "freqai": {"enabled": False},
                }
            )
        )
        out = Path(tmp) / "results"
        out.mkdir()
        args = backtest_args(config, list(strategies), pair, timerange, fee, overrides, out)
        with offline_markets():
            try:
                freqtrade_main(args)
            except SystemExit as exit_:
                if exit_.code:
                    raise RuntimeError(f"freqtrade backtesting failed ({exit_.code})") from None
        stats = load_backtest_stats(out)
    return markdown_table(stats, strategies)
