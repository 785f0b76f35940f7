"""What an evaluation runs, checked before any backtest starts.

Every problem a user can fix (a pair without data, a timerange outside it, an unknown
strategy, derivatives sources without futures data) stops the evaluation up front with what is
missing and how to get it.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from freqtrade.configuration import TimeRange

from meta_agent.config import MetaRLConfig
from meta_agent.data.importer import pair_filename
from meta_agent.errors import ConfigError, MetaRLError
from meta_agent.signals.wrapped import register_wrapped
from meta_agent.strategy.discovery import standalone_strategies, strategy_dir
from meta_agent.strategy.trend import settle_days

#: The strategies an evaluation compares MetaRL with, by the class names of ``strategies/``.
BASELINES: tuple[str, ...] = (
    "BuyAndHold",
    "EqualWeightHold",
    "TrendBook",
    "EqualWeightVote",
    "StackingBaseline",
    "TrendRegime",
    "StockRL",
)
#: Freqtrade's stock FreqAI RL: ``strategies/StockRL.py`` with ``ReinforcementLearner`` and the
#: reward parameters of Freqtrade's RL documentation; training settings are the config's own.
STOCK_RL = "StockRL"
#: Strategies that train FreqAI models (their backtests of one evaluation share a folder).
FREQAI_STRATEGIES = ("MetaRL", STOCK_RL)
STOCK_RL_CONFIG: dict[str, Any] = {
    "max_trade_duration_candles": 300,
    "model_reward_parameters": {"rr": 1, "profit_aim": 0.025},
    "train_cycles": 5,
}
#: StockRL's walk-forward windows: fixed, as a user of the stock model would set them (and as
#: MetaRL shipped before its slow clock), not MetaRL's multi-year windows: 730 days of hourly
#: candles x train_cycles would cost the stock model hours per window.
STOCK_RL_WINDOWS: dict[str, Any] = {"train_period_days": 90, "backtest_period_days": 30}
DERIVATIVES = ("funding-v1", "basis-v1")
#: Named stress windows, reported where they fall inside the evaluated period.
STRESS_WINDOWS: dict[str, tuple[str, str]] = {
    "covid-crash-2020-03": ("2020-03-09", "2020-03-21"),
    "china-ban-2021-05": ("2021-05-10", "2021-05-26"),
    "luna-2022-05": ("2022-05-05", "2022-05-21"),
    "ftx-2022-11": ("2022-11-05", "2022-11-16"),
}
#: The label of a portfolio evaluation's one backtest over all pairs (its records' ``pair``).
PORTFOLIO = "portfolio"


class EvaluationInputError(MetaRLError):
    """The evaluation cannot start; the message says what is missing and how to get it."""


@dataclass(frozen=True)
class Plan:
    """Everything an evaluation needs, validated."""

    configs: list[Path]
    config: dict[str, Any]
    exchange: str
    stake_currency: str
    datadir: Path
    pairs: list[str]
    timerange: str
    start: pd.Timestamp
    end: pd.Timestamp
    strategies: list[str]
    fee: float
    out: Path
    data_span: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Where the sources read ``external/`` and ``<reference_exchange>/futures``: the config's
    #: ``meta_rl.data_root`` if set, else the folder holding ``datadir`` (see :func:`feed_root`).
    feed_root: Path | None = None
    #: One backtest per strategy over all pairs in one wallet (1/N of it per pair), instead of
    #: one backtest per strategy and pair, each with its own wallet.
    portfolio: bool = False
    #: Pairs whose data starts inside the history a strategy wants before the timerange (a
    #: portfolio's later listings): they trade once their own warm-up is over.
    late_pairs: dict[str, str] = field(default_factory=dict)

    def units(self) -> list[tuple[str, list[str]]]:
        """What one backtest covers: (label, pairs) per pair, or one ``portfolio`` of all."""
        if self.portfolio:
            return [(PORTFOLIO, list(self.pairs))]
        return [(pair, [pair]) for pair in self.pairs]

    def pairs_of(self, unit: str) -> list[str]:
        """The pairs of the backtest labelled ``unit`` (a pair, or ``portfolio``)."""
        return list(self.pairs) if unit == PORTFOLIO else [unit]

    @property
    def config_hash(self) -> str:
        """Hash of the config files and of what the command changes (exchange, pairs, data,
        timerange, fee)."""
        digest = hashlib.sha256()
        for path in self.configs:
            digest.update(path.read_bytes())
        request = [self.exchange, self.pairs, str(self.datadir), self.timerange, self.fee]
        digest.update(json.dumps(request).encode())
        return digest.hexdigest()[:16]

    @property
    def identifier(self) -> str:
        """FreqAI identifier of this evaluation's MetaRL models: never the user's demo or live
        models, and the same for a re-run of the same evaluation (which reuses them)."""
        return f"{self._base_identifier}-eval-{self.config_hash[:8]}"

    @property
    def stock_identifier(self) -> str:
        """FreqAI identifier of this evaluation's stock ReinforcementLearner models: neither the
        user's nor MetaRL's (nor a prefix match of MetaRL's, whose folders the report reads)."""
        return f"{self._base_identifier}-stockrl-eval-{self.config_hash[:8]}"

    @property
    def _base_identifier(self) -> str:
        return str(self.config.get("freqai", {}).get("identifier", "metarl"))

    def overrides(self, pair: str | None = None, strategy: str = "MetaRL") -> dict[str, Any]:
        """Config laid over the user's for ``strategy``: the evaluated exchange and one pair
        (or all, or ``portfolio``: all in one wallet), the whole wallet for it; FreqAI with
        the evaluation's own identifier for the RL agents (MetaRL, StockRL), off for every
        other strategy; the sources' data root (:attr:`feed_root`), so that they read the data
        beside ``--datadir``."""
        pairs = self.pairs_of(pair) if pair else self.pairs
        freqai: dict[str, Any] = {"enabled": False}
        extra: dict[str, Any] = {}
        if strategy == "MetaRL":
            freqai = {"identifier": self.identifier}
        elif strategy == STOCK_RL:
            freqai = {
                "enabled": True,
                "identifier": self.stock_identifier,
                "rl_config": STOCK_RL_CONFIG,
                **STOCK_RL_WINDOWS,
            }
            extra = {"freqaimodel": "ReinforcementLearner"}
        if self.feed_root is not None:
            extra["meta_rl"] = {"data_root": str(self.feed_root)}
        return {
            "freqai": freqai,
            **extra,
            "exchange": {"name": self.exchange, "pair_whitelist": pairs},
            "stake_currency": self.stake_currency,
            "fiat_display_currency": "",
            "max_open_trades": len(pairs),
            "stake_amount": "unlimited",
        }

    def folds(self) -> list[tuple[str, str]]:
        """MetaRL's walk-forward backtest windows (``backtest_period_days`` from the start)."""
        days = float(self.config.get("freqai", {}).get("backtest_period_days", 30))
        edges = pd.date_range(self.start, self.end, freq=pd.Timedelta(days=days))
        bounds = [*edges, self.end] if edges[-1] < self.end else list(edges)
        return [(f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}") for a, b in itertools.pairwise(bounds)]

    def years(self) -> list[tuple[str, str, str]]:
        """(``year-YYYY``, start, end) of each calendar year wholly inside the timerange."""
        years = []
        for year in range(self.start.year, self.end.year + 1):
            a, b = (
                pd.Timestamp(f"{year}-01-01", tz="UTC"),
                pd.Timestamp(f"{year + 1}-01-01", tz="UTC"),
            )
            if a >= self.start and b <= self.end + pd.Timedelta(days=1):
                years.append((f"year-{year}", f"{a:%Y-%m-%d}", f"{min(b, self.end):%Y-%m-%d}"))
        return years

    def stress_windows(self) -> dict[str, tuple[str, str]]:
        inside = {}
        for name, (a, b) in STRESS_WINDOWS.items():
            if pd.Timestamp(a, tz="UTC") >= self.start and pd.Timestamp(b, tz="UTC") <= self.end:
                inside[name] = (a, b)
        return inside


def _merged(configs: list[Path]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in configs:
        if not path.is_file():
            raise EvaluationInputError(f"Config file {path} not found.")
        _deep_update(merged, json.loads(path.read_text()))
    return merged


def _deep_update(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_update(base[key], value)
        else:
            base[key] = value


def feed_root(meta: MetaRLConfig, config: dict[str, Any], datadir: Path) -> Path:
    """Where an evaluation's sources read their external and futures data.

    ``meta_rl.data_root`` when the config sets it; otherwise the folder holding ``datadir``, as
    ``python -m meta_agent data import`` lays it out (``<root>/<exchange>`` beside
    ``<root>/external`` and ``<root>/<reference_exchange>/futures``): ``--datadir X/binance``
    reads them from ``X``, not from the config's ``user_data_dir``.
    """
    if meta.data_root is not None:
        return meta.feed_root(config)
    return Path(datadir).absolute().parent


def all_strategies(directory: Path) -> list[str]:
    """MetaRL, the baselines and the standalone source strategies found in ``directory``."""
    return ["MetaRL", *BASELINES, *standalone_strategies(directory)]


def make_plan(
    configs: list[Path],
    datadir: Path,
    pairs: list[str],
    timerange: str,
    out: Path,
    exchange: str | None = None,
    strategies: list[str] | None = None,
    fee: float | None = None,
    portfolio: bool = False,
) -> Plan:
    """Validate the request; raise EvaluationInputError before anything runs.

    In a ``portfolio`` evaluation a pair whose data starts after the warm-up or training
    history the strategies want (a later listing) is accepted and named in
    :attr:`Plan.late_pairs`: it enters once its own history suffices. Its data must still
    reach the end of the timerange.
    """
    config = _merged(configs)
    name = exchange or config.get("exchange", {}).get("name", "")
    stake = pairs[0].split("/")[1].split(":")[0] if pairs else config.get("stake_currency", "")
    try:
        known = all_strategies(strategy_dir(config))
    except ConfigError as err:
        raise EvaluationInputError(str(err)) from None
    chosen = strategies or known
    for strategy in chosen:
        if strategy not in known:
            close = difflib.get_close_matches(strategy, known, n=2)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise EvaluationInputError(
                f"Unknown strategy '{strategy}'.{hint} Known: {', '.join(known)}."
            )
    try:
        parsed = TimeRange.parse_timerange(timerange)
    except Exception as err:
        raise EvaluationInputError(f"--timerange '{timerange}': {err}") from None
    if not parsed.startts or not parsed.stopts:
        raise EvaluationInputError(f"--timerange '{timerange}' needs a start and an end.")
    start = pd.Timestamp(parsed.startts, unit="s", tz="UTC")
    end = pd.Timestamp(parsed.stopts, unit="s", tz="UTC")
    try:
        register_wrapped(config)
        meta = MetaRLConfig.from_freqtrade(config)
    except ConfigError as err:
        raise EvaluationInputError(str(err)) from None
    freqai = config.get("freqai", {})
    train = pd.Timedelta(days=float(freqai.get("train_period_days", 0)))
    timeframes = ["1h", *freqai.get("feature_parameters", {}).get("include_timeframes", [])]
    history = dict.fromkeys(timeframes, (train, "training history"))
    warm_ups = {
        "TrendRegime": settle_days(meta.trend_regime),
        "TrendBook": meta.book.startup_days(),
    }
    for strategy, days in warm_ups.items():
        warm_up = pd.Timedelta(days=days)
        if strategy in chosen and warm_up > history.get("1d", (pd.Timedelta(0), ""))[0]:
            history["1d"] = (warm_up, f"{strategy}'s warm-up")
    span: dict[str, tuple[str, str]] = {}
    late: dict[str, str] = {}
    for pair in pairs:
        for timeframe, (needs_history, reason) in history.items():
            path = Path(datadir) / pair_filename(pair, timeframe)
            if not path.is_file():
                raise EvaluationInputError(
                    f"No {timeframe} candles for {pair}: {path} is missing. Import them with "
                    "`python -m meta_agent data import` (then use user_data/data/<exchange>) or "
                    f"download them with `freqtrade download-data --pairs {pair} "
                    f"--timeframes {timeframe}`."
                )
            dates = pd.read_feather(path, columns=["date"])["date"]
            first, last = dates.iloc[0], dates.iloc[-1]
            if timeframe == "1h":
                span[pair] = (f"{first:%Y-%m-%d %H:%M}", f"{last:%Y-%m-%d %H:%M}")
            short = first > start - needs_history
            if portfolio and short and first < start and last >= end - pd.Timedelta("1D"):
                late.setdefault(pair, f"{first:%Y-%m-%d}")
            elif short or last < end - pd.Timedelta("1D"):
                raise EvaluationInputError(
                    f"{pair} {timeframe} data spans {first:%Y-%m-%d}..{last:%Y-%m-%d}, but the "
                    f"evaluation needs {start - needs_history:%Y-%m-%d}..{end:%Y-%m-%d} "
                    f"({needs_history.days} days of {reason} before {timerange}). "
                    "Choose a timerange inside the data or add data."
                )
    root = feed_root(meta, config, Path(datadir))
    uses_derivatives = [s for s in meta.sources if s in DERIVATIVES]
    if uses_derivatives and ("MetaRL" in chosen or "EqualWeightVote" in chosen):
        futures = root / meta.reference_exchange / "futures"
        for pair in pairs:
            base = pair.split("/")[0]
            wanted = futures / pair_filename(f"{base}/USDT:USDT", "1h", "-funding_rate")
            if base in ("BTC", "ETH") and not wanted.is_file():
                raise EvaluationInputError(
                    f"Sources {uses_derivatives} need futures data: {wanted} is missing. Run "
                    "`python -m meta_agent data import`, or download it with `freqtrade "
                    f"download-data --exchange {meta.reference_exchange} --trading-mode futures "
                    f"--pairs {base}/USDT:USDT`, or remove those sources."
                )
    return Plan(
        configs=list(configs),
        config=config,
        exchange=name,
        stake_currency=stake,
        datadir=Path(datadir),
        pairs=list(pairs),
        timerange=timerange,
        start=start,
        end=end,
        strategies=list(chosen),
        fee=fee if fee is not None else _taker_fee(name),
        out=Path(out),
        data_span=span,
        feed_root=root,
        portfolio=portfolio,
        late_pairs=late,
    )


def _taker_fee(exchange: str) -> float:
    from meta_agent.offline import load_snapshot

    markets = load_snapshot(exchange).markets
    return float(max(m["taker"] for m in markets.values()))
