"""MetaRL's own configuration: the ``meta_rl`` section and the reward parameters, both strict.

Unknown keys are errors; messages name the dotted key, the value and what is allowed.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar
from unittest import mock

import jsonschema
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from meta_agent.errors import ConfigError
from meta_agent.rl.algorithms import SUPPORTED_MODEL_TYPES
from meta_agent.rl.portfolio.settings import PooledConfig
from meta_agent.signals import registry
from meta_agent.signals.trend_book import TrendBookConfig

SPOT_LEVELS: tuple[float, ...] = (0.0, 0.5, 1.0)
FUTURES_LEVELS: tuple[float, ...] = (-1.0, -0.5, 0.0, 0.5, 1.0)

M = TypeVar("M", bound=BaseModel)


class ModelSelectionConfig(BaseModel):
    """``meta_rl.model_selection``: train several algorithms per window and keep the best.

    Attributes:
        candidates: Algorithms to compare (PPO, A2C, MaskablePPO, RecurrentPPO).
        validation_fraction: Tail of each training window used only to compare them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    candidates: list[str] = Field(min_length=2)
    validation_fraction: float = Field(default=0.2, gt=0, lt=0.5)

    @field_validator("candidates")
    @classmethod
    def _supported(cls, value: list[str]) -> list[str]:
        supported = SUPPORTED_MODEL_TYPES
        unknown = [name for name in value if name not in supported]
        if unknown or len(set(value)) != len(value):
            raise ValueError(f"must be distinct names among {list(supported)}; got {value}")
        return value


class MaxDrawdownConfig(BaseModel):
    """``meta_rl.risk.max_drawdown``: Freqtrade's ``MaxDrawdown`` protection (equity mode).

    Stops all new entries for ``stop_duration_candles`` once the equity drawdown of the trades
    closed within ``lookback_period_candles`` exceeds ``max_allowed_drawdown``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_allowed_drawdown: float = Field(default=0.15, gt=0, lt=1)
    lookback_period_candles: int = Field(default=168, ge=1)
    trade_limit: int = Field(default=3, ge=1)
    stop_duration_candles: int = Field(default=24, ge=1)


class StoplossGuardConfig(BaseModel):
    """``meta_rl.risk.stoploss_guard``: Freqtrade's ``StoplossGuard`` protection.

    Stops all new entries for ``stop_duration_candles`` once ``trade_limit`` trades hit their
    stoploss within ``lookback_period_candles``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    trade_limit: int = Field(default=2, ge=1)
    lookback_period_candles: int = Field(default=24, ge=1)
    stop_duration_candles: int = Field(default=12, ge=1)


class RiskConfig(BaseModel):
    """``meta_rl.risk``: every risk limit of a MetaRL bot, in one place.

    Exposures are fractions: of one pair's budget (the total stake / ``max_open_trades``) for
    ``max_pair_exposure``, of the total stake for ``max_total_exposure``. The RL agent's action
    masks honour the exposure limits in training and at inference, and, when trading, also the
    locks (daily loss cap, protections): it is never asked to choose what would be refused.

    Attributes:
        max_pair_exposure: Largest |exposure| one pair may hold.
        max_total_exposure: Largest sum of |exposure| over all pairs, as a share of the stake.
        daily_loss_cap: Once the day's loss reaches this fraction of the total stake, no new
            exposure until 00:00 UTC (a global lock, kept in the trade database); open
            positions are still reduced and closed as the agent decides. ``None``: off.
        stoploss: Hard stoploss of every trade (Freqtrade's ``stoploss``): a guard against
            catastrophe; the agent's target decides ordinary exits.
        max_drawdown: Freqtrade's MaxDrawdown protection; ``None``: off.
        stoploss_guard: Freqtrade's StoplossGuard protection; ``None``: off.
        leverage: Futures only. Exposure stays a fraction of the budget in notional terms; a
            higher leverage only posts less margin for it (capped by the exchange's maximum).
            Liquidation comes closer; the hard stoploss still applies to the margin.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_pair_exposure: float = Field(default=1.0, gt=0, le=1)
    max_total_exposure: float = Field(default=1.0, gt=0, le=1)
    daily_loss_cap: float | None = Field(default=0.05, gt=0, lt=1)
    stoploss: float = Field(default=-0.3, ge=-1, lt=0)
    max_drawdown: MaxDrawdownConfig | None = Field(default_factory=MaxDrawdownConfig)
    stoploss_guard: StoplossGuardConfig | None = Field(default_factory=StoplossGuardConfig)
    leverage: float = Field(default=1.0, ge=1, le=10)

    def protections(self) -> list[dict[str, Any]]:
        """Freqtrade's ``protections`` list for the configured protections."""
        result: list[dict[str, Any]] = []
        if self.max_drawdown is not None:
            result.append(
                {"method": "MaxDrawdown", "calculation_mode": "equity"}
                | self.max_drawdown.model_dump()
            )
        if self.stoploss_guard is not None:
            result.append(
                {"method": "StoplossGuard", "only_per_pair": False}
                | self.stoploss_guard.model_dump()
            )
        return result


LIVE_PROVIDERS = (
    "fear_greed",
    "rss_news",
    "cryptopanic",
    "derivatives",
    "csv_drop_in",
    "cryptoquant",
    "lunarcrush",
)
#: Venues the derivatives provider can read (ccxt ids) and the quote of their perpetuals.
DERIVATIVES_VENUES: dict[str, str] = {"binance": "USDT", "krakenfutures": "USD"}


class LiveFeedsConfig(BaseModel):
    """``meta_rl.live_feeds``: where a trading bot fetches external data each loop.

    Attributes:
        providers: Which providers run: ``fear_greed`` (alternative.me), ``rss_news``,
            ``cryptopanic`` (only with ``$CRYPTOPANIC_TOKEN``), ``derivatives`` (the
            ``derivatives_venue``'s funding, open interest and perp/mark/spot or index prices
            through ccxt), ``csv_drop_in`` (CSV files in ``<data_root>/external_drop_in``),
            ``cryptoquant`` (on-chain exchange flows, needs ``$CRYPTOQUANT_API_KEY``) and
            ``lunarcrush`` (social activity and sentiment, needs ``$LUNARCRUSH_API_KEY``). A
            keyed provider without its key is left out, logged once.
        fear_greed_url: The Fear & Greed endpoint (alternative.me's ``/fng/`` format).
        rss_urls: RSS feeds of crypto headlines; ``None``: the built-in list.
        derivatives_venue: ``binance`` (USDT-M perpetuals, the backtests' reference market) or
            ``krakenfutures`` (the USD perpetuals of the venue the bot trades on).
        derivatives_url: Base URL replacing the venue's public API hosts (a proxy or a test
            server); ``None``: the venue's own.
        cryptoquant_url: CryptoQuant's API root (``.../v1``).
        lunarcrush_url: LunarCrush's API root (``.../api4``).
        timeout: Longest one loop waits for all providers together, in seconds.
        retry_after: Seconds before a failed provider is tried again (a 429's ``Retry-After``
            wins when longer).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Tuples: the settings are hashable, so one live feed is shared per bot process.
    providers: tuple[str, ...] = LIVE_PROVIDERS
    fear_greed_url: str = "https://api.alternative.me/fng/?limit=200&format=json"
    rss_urls: tuple[str, ...] | None = None
    derivatives_venue: Literal["binance", "krakenfutures"] = "binance"
    derivatives_url: str | None = None
    cryptoquant_url: str = "https://api.cryptoquant.com/v1"
    lunarcrush_url: str = "https://lunarcrush.com/api4"
    timeout: float = Field(default=20.0, gt=0, le=120)
    retry_after: float = Field(default=60.0, gt=0)

    @field_validator("providers")
    @classmethod
    def _known_providers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [name for name in value if name not in LIVE_PROVIDERS]
        if unknown:
            raise ValueError(f"unknown provider(s) {unknown}; known: {list(LIVE_PROVIDERS)}")
        return value


class TrendRegimeConfig(BaseModel):
    """``meta_rl.trend_regime``: the daily trend regime (:mod:`meta_agent.signals.trend_regime`).

    Attributes:
        spans: (fast, slow) EMA spans in daily candles; each pair votes the sign of fast - slow.
            The defaults are the published ones (Baz et al. 2015), not tuned on this data.
        vol_target: Annualised volatility the regime is scaled towards (e.g. 0.5), never above
            full exposure; ``None``: no scaling.
        vol_window: Daily log returns in the realised-volatility estimate.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    spans: list[list[int]] = Field(
        default_factory=lambda: [[8, 24], [16, 48], [32, 96]], min_length=1
    )
    vol_target: float | None = Field(default=None, gt=0)
    vol_window: int = Field(default=30, ge=2)

    @field_validator("spans")
    @classmethod
    def _fast_below_slow(cls, value: list[list[int]]) -> list[list[int]]:
        for pair in value:
            if len(pair) != 2 or not 0 < pair[0] < pair[1]:
                raise ValueError(f"each span must be [fast, slow] with 0 < fast < slow; got {pair}")
        return value


class MetaRLConfig(BaseModel):
    """The ``meta_rl`` section of a Freqtrade config.

    Attributes:
        sources: Versioned ids of the signal sources the agent listens to, in observation order.
        exposure_levels: Target exposures the agent chooses from, as fractions of the pair's
            budget (``-1`` full short ... ``1`` full long). ``None``: spot ``[0, 0.5, 1]``,
            futures ``[-1, -0.5, 0, 0.5, 1]``. Must contain 0 (flat).
        rebalance_threshold: A position is resized only when it is off target by at least this
            fraction of the pair's budget, so price drift alone does not pay fees every candle.
        risk: Risk limits (exposure caps, daily loss cap, stoploss, protections); see
            :class:`RiskConfig`.
        live_feeds: External data providers of a trading bot; see :class:`LiveFeedsConfig`.
        model_selection: Off (None) by default: it multiplies training time by the number of
            candidates. See :class:`ModelSelectionConfig`.
        data_root: Folder with the external store and the reference market's candles
            (default ``<user_data_dir>/data``).
        reference_exchange: Datadir name of the venue derivatives sources read (``binance``).
        wrap_strategies: Freqtrade strategy class names (in ``strategy_path``) to register as
            sources ``strategy_<snake_case_name>-v1``.
        source_params: Per source id, constructor parameters, e.g.
            ``{"fear_greed-v1": {"max_age": "3D", "neutral": 0.2}}``.
        attribution: SHAP attribution of every decision (``%%-attr_*`` columns, Telegram line
            on exposure changes, per-model global importance).
        attribution_background: Training-window observations kept as SHAP background.
        decision_every: Candles between decisions, aligned to UTC (24 on 1h: once a day, on the
            candle that closes at 00:00). Training steps on the same clock; the decided level
            is held in between (risk limits still act on every candle).
        base: ``"trend_regime"``: the agent adjusts the daily trend regime's level (residual
            actions: lower, follow, raise) instead of choosing a level outright; ``"book"``:
            one agent pooled over ``pooled.coins`` scales the trend book's weight (x0, x0.5,
            x1, x1.5; ``freqaimodel`` MetaRLPortfolioModel); None: direct.
        seeds: Agents trained per window with consecutive seeds; they decide by median.
        validation_gate: Trade a window's agents only if they beat the base's Sharpe net of
            fees on the validation slice at the end of the training window (needs ``base``).
        episode_length: Training episodes of this many decision steps from random starts;
            None: one episode over the whole training window.
        book: The portfolio trend book (the TrendBook baseline); see
            :class:`~meta_agent.signals.trend_book.TrendBookConfig`.
        pooled: The pooled agent of ``base: "book"``; see
            :class:`~meta_agent.rl.portfolio.settings.PooledConfig`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision_every: int = Field(default=1, ge=1, le=24 * 7)
    base: Literal["trend_regime", "book"] | None = None
    seeds: int = Field(default=1, ge=1, le=16)
    validation_gate: bool = False
    episode_length: int | None = Field(default=None, ge=2)

    sources: list[str] = Field(default_factory=lambda: ["trend-v1"], min_length=1)
    exposure_levels: list[float] | None = None
    rebalance_threshold: float = Field(default=0.25, gt=0, le=1)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    live_feeds: LiveFeedsConfig = Field(default_factory=LiveFeedsConfig)
    model_selection: ModelSelectionConfig | None = None
    data_root: str | None = None
    reference_exchange: str = "binance"
    wrap_strategies: list[str] = Field(default_factory=list)
    source_params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    attribution: bool = True
    attribution_background: int = Field(default=50, ge=5, le=500)
    trend_regime: TrendRegimeConfig = Field(default_factory=TrendRegimeConfig)
    book: TrendBookConfig = Field(default_factory=TrendBookConfig)
    pooled: PooledConfig = Field(default_factory=PooledConfig)

    @model_validator(mode="after")
    def _gate_needs_base(self) -> MetaRLConfig:
        if self.validation_gate and self.base is None:
            raise ValueError("validation_gate compares the agent with a base: set `base` too")
        return self

    @field_validator("source_params")
    @classmethod
    def _params_of_known_sources(cls, value: dict[str, dict[str, Any]]) -> dict[str, Any]:
        for source_id, params in value.items():
            source_class = registry.spec(source_id).source_class  # raises with a suggestion
            accepted = set(inspect.signature(source_class.__init__).parameters) - {"self"}
            unknown = sorted(set(params) - accepted)
            if unknown:
                raise ValueError(
                    f"{source_id} takes no parameter(s) {unknown}; it takes "
                    f"{sorted(accepted - {'context'})}"
                )
            for name, param in params.items():
                _check_source_param(source_class, source_id, name, param)
        return value

    def params_for(self, source_id: str) -> dict[str, Any]:
        """Constructor parameters configured for ``source_id`` (e.g. ``max_age``)."""
        return dict(self.source_params.get(source_id, {}))

    def feed_root(self, config: dict[str, Any]) -> Path:
        """Folder holding ``external/`` and the reference market's candles: ``data_root``, or
        ``<user_data_dir>/data`` where ``python -m meta_agent data import`` writes them."""
        if self.data_root is not None:
            return Path(self.data_root)
        return Path(config.get("user_data_dir", "user_data")) / "data"

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: list[str]) -> list[str]:
        for source_id in value:
            registry.spec(source_id)  # raises with a suggestion
        if len(set(value)) != len(value):
            raise ValueError(f"sources must not repeat an id; got {value}")
        return value

    @field_validator("exposure_levels")
    @classmethod
    def _valid_levels(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return value
        if sorted(set(value)) != list(value) or 0.0 not in value:
            raise ValueError(f"must be strictly increasing and contain 0; got {value}")
        if any(abs(level) > 1 for level in value):
            raise ValueError(f"must lie in [-1, 1]; got {value}")
        return value

    def levels_for(self, trading_mode: str) -> tuple[float, ...]:
        """Exposure levels for ``trading_mode`` ('spot' or 'futures'); spot forbids shorts."""
        futures = str(trading_mode) in ("futures", "TradingMode.FUTURES")
        levels = tuple(self.exposure_levels or (FUTURES_LEVELS if futures else SPOT_LEVELS))
        if not futures and min(levels) < 0:
            raise ConfigError(
                f"`meta_rl.exposure_levels` = {list(levels)} has short levels, but trading_mode "
                "is spot (long/flat only). Use levels >= 0 or trading_mode 'futures'."
            )
        return levels

    @classmethod
    def from_freqtrade(cls, config: dict[str, Any]) -> MetaRLConfig:
        """Read and validate ``config['meta_rl']`` (absent: all defaults); no side effects.

        ``sources`` must be registered: strategies named in ``meta_rl.wrap_strategies`` by
        :func:`meta_agent.signals.wrapped.register_wrapped` first (as
        :func:`validate_freqtrade_config` does at strategy start-up).
        """
        section = config.get("meta_rl", {})
        meta = _validate(cls, section, "meta_rl")
        mode = str(config.get("trading_mode", "spot"))
        if meta.risk.leverage != 1 and mode not in ("futures", "TradingMode.FUTURES"):
            raise ConfigError(
                f"Invalid configuration: `meta_rl.risk.leverage` = {meta.risk.leverage:g}: "
                f"leverage needs `trading_mode` 'futures' (it is '{mode}'); in spot it must be 1."
            )
        return meta


def _check_source_param(source_class: Any, source_id: str, name: str, value: Any) -> None:
    """A source parameter of the type its constructor declares; ``max_age`` a positive
    duration. Raises ConfigError naming ``meta_rl.source_params.<source>.<name>``."""
    key = f"`meta_rl.source_params.{source_id}.{name}` = {value!r}"
    if name == "max_age":
        try:
            duration = pd.Timedelta(value)
        except (ValueError, TypeError):
            duration = None
        if duration is None or pd.isna(duration) or duration <= pd.Timedelta(0):
            raise ConfigError(
                f"Invalid configuration: {key}: expected a positive duration such as '2D', "
                "'17h' or '90min' (a pandas Timedelta)."
            )
        return
    try:
        hints = typing.get_type_hints(source_class.__init__)
    except (NameError, TypeError):  # a hint only importable for type checkers
        return
    if name not in hints:
        return
    try:
        TypeAdapter(hints[name]).validate_python(value, strict=True)
    except ValidationError:
        expected = getattr(hints[name], "__name__", str(hints[name]))
        raise ConfigError(f"Invalid configuration: {key}: expected a {expected}.") from None


class RewardConfig(BaseModel):
    """``freqai.rl_config.model_reward_parameters`` as MetaRL reads it.

    Reward per candle: ``log(1 + e * r - fee * |e - e_prev|) - drawdown_penalty * max(0, dd -
    dd_prev)`` where ``e`` is the chosen exposure, ``r`` the next candle's return and ``dd`` the
    drawdown from the equity peak. The episode ends with ``-terminal_penalty`` once ``dd``
    reaches ``max_drawdown``. ``turnover_penalty`` charges every change of exposure once more
    (per unit traded, like a fee), so training sees trading as dearer than it is. There is no
    reward for trading as such.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    drawdown_penalty: float = Field(default=0.5, ge=0)
    max_drawdown: float = Field(default=0.5, gt=0, le=1)
    terminal_penalty: float = Field(default=1.0, ge=0)
    turnover_penalty: float = Field(default=0.0, ge=0)
    # FreqAI's schema injects these two defaults into every rl_config; MetaRL does not use them.
    rr: float = 1.0
    profit_aim: float = 0.025

    @classmethod
    def from_rl_config(cls, rl_config: dict[str, Any]) -> RewardConfig:
        return _validate(
            cls,
            rl_config.get("model_reward_parameters", {}),
            "freqai.rl_config.model_reward_parameters",
        )


def _validate(model: type[M], section: Any, prefix: str) -> M:
    try:
        return model.model_validate(section)
    except ValidationError as err:
        problems = []
        for item in err.errors():
            key = ".".join([prefix, *(str(part) for part in item["loc"])])
            if item["type"] == "extra_forbidden":
                allowed = ", ".join(sorted(_section_model(model, item["loc"][:-1]).model_fields))
                problems.append(f"`{key}` is not a known key (allowed: {allowed})")
            else:
                problems.append(f"`{key}` = {item.get('input')!r}: {item['msg']}")
        raise ConfigError("Invalid configuration: " + "; ".join(problems)) from None


def _section_model(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel]:
    """The model of the section at ``loc`` inside ``model`` (``("risk",)``: RiskConfig)."""
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None:
            return model
        inner = [
            arg
            for arg in (field.annotation, *typing.get_args(field.annotation))
            if isinstance(arg, type) and issubclass(arg, BaseModel)
        ]
        if not inner:
            return model
        model = inner[0]
    return model


def check_stoploss(config: dict[str, Any], risk: RiskConfig) -> None:
    """Freqtrade's top-level ``stoploss`` (config file or ``FREQTRADE__STOPLOSS``) would
    override ``meta_rl.risk.stoploss`` silently; a value that differs is refused."""
    top = config.get("stoploss")
    if top is None:
        return
    try:
        conflict = float(top) != risk.stoploss
    except (TypeError, ValueError):
        conflict = True
    if conflict:
        raise ConfigError(
            f"Invalid configuration: `stoploss` = {top!r} conflicts with `meta_rl.risk.stoploss` "
            f"= {risk.stoploss:g} (default -0.3 when unset): MetaRL strategies take every risk "
            "limit from `meta_rl.risk`. Remove the top-level `stoploss` (and FREQTRADE__STOPLOSS) "
            "or set it equal."
        )


def apply_rl_defaults(config: dict[str, Any]) -> None:
    """Give an enabled ``freqai`` section the ``rl_config`` (and its ``model_reward_parameters``)
    Freqtrade's schema defaults when they are absent, so the defaults apply as documented."""
    freqai = config.get("freqai")
    if not isinstance(freqai, dict) or not freqai.get("enabled"):
        return
    from freqtrade.config_schema.config_schema import CONF_SCHEMA
    from freqtrade.configuration.config_validation import FreqtradeValidator

    rl_config = freqai.setdefault("rl_config", {})
    if not isinstance(rl_config, dict):
        raise ConfigError(
            f"Invalid configuration: `freqai.rl_config` = {rl_config!r}: expected an object."
        )
    rl_config.setdefault("model_reward_parameters", {})
    schema = CONF_SCHEMA["definitions"]["freqai"]["properties"]["rl_config"]
    try:
        FreqtradeValidator(schema).validate(rl_config)  # fills in Freqtrade's defaults
    except jsonschema.ValidationError as err:
        key = ".".join(["freqai.rl_config", *(str(part) for part in err.absolute_path)])
        raise ConfigError(
            f"Invalid configuration: `{key}` = {err.instance!r}: {err.message}"
        ) from None
    RewardConfig.from_rl_config(rl_config)


@contextmanager
def validated_on_load() -> Iterator[None]:
    """Within this context every config Freqtrade loads passes :func:`validate_freqtrade_config`
    and :func:`check_stoploss` first, whatever the command (``show-config``, ``download-data``,
    ``backtesting`` ...): a conflict is refused before any work, not only once a MetaRL
    strategy loads."""
    from freqtrade.configuration import Configuration

    original = Configuration.load_config

    def load_config(self: Configuration) -> dict[str, Any]:
        config = original(self)
        meta = validate_freqtrade_config(config)
        check_stoploss(config, meta.risk)
        return config

    with mock.patch.object(Configuration, "load_config", load_config):
        yield


def validate_freqtrade_config(config: dict[str, Any]) -> MetaRLConfig:
    """Everything MetaRL can check in a Freqtrade config before a strategy is chosen: the
    ``meta_rl`` section, its exposure levels and leverage against ``trading_mode``, and
    ``freqai.rl_config`` with its defaults. Registers the wrapped strategies it names first
    (explicitly, idempotent). Raises ConfigError naming the key."""
    from meta_agent.signals.wrapped import register_wrapped

    register_wrapped(config)
    meta = MetaRLConfig.from_freqtrade(config)
    meta.levels_for(config.get("trading_mode", "spot"))
    apply_rl_defaults(config)
    _check_backtest_data(config, meta)
    return meta


def _check_backtest_data(config: dict[str, Any], meta: MetaRLConfig) -> None:
    """Before a backtest trains anything: the timerange starts within every pair's candles,
    and the derivatives sources' reference files exist (:mod:`meta_agent.data.coverage`)."""
    from freqtrade.enums import CandleType, RunMode

    from meta_agent.data.coverage import check_reference_markets, check_timerange_covered
    from meta_agent.errors import SnapshotError
    from meta_agent.offline import load_snapshot

    if config.get("runmode") not in (RunMode.BACKTEST, RunMode.HYPEROPT):
        return
    pairs = list(config.get("exchange", {}).get("pair_whitelist", []))
    if config.get("timerange") and config.get("datadir"):
        check_timerange_covered(
            Path(config["datadir"]),
            pairs,
            str(config.get("timeframe", "1h")),
            CandleType.get_default(config.get("trading_mode", "spot")),
            str(config["timerange"]),
        )
    try:
        listed: dict[str, Any] = load_snapshot(meta.reference_exchange).markets
    except SnapshotError:
        listed = {}
    check_reference_markets(
        meta.feed_root(config) / meta.reference_exchange,
        meta.sources,
        {pair.split("/")[0] for pair in pairs},
        listed,
    )
