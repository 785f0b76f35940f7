"""MetaRLModel's logic: FreqAI RL training on ExposureEnv and stateful sequential prediction.

FreqAI's stock RL predicts each candle independently through ``rolling().apply``: the agent
never sees its own position in a backtest, masks are ignored and an LSTM restarts from zero on
every candle. Here every prediction walks the candles in order carrying the agent's position,
its action mask and its LSTM state, in backtests and live alike (:mod:`meta_agent.rl.rollout`).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch as th
from freqtrade.exceptions import OperationalException
from freqtrade.freqai.data_kitchen import FreqaiDataKitchen
from freqtrade.freqai.RL.BaseReinforcementLearningModel import BaseReinforcementLearningModel
from pandas import DataFrame

from meta_agent.columns import CONTEXT, GLOBAL_FILE, POSITION, attribution_column
from meta_agent.config import MetaRLConfig, RewardConfig
from meta_agent.errors import ConfigError, ModelLoadError
from meta_agent.rl.actions import ActionMap
from meta_agent.rl.algorithms import (
    ALGORITHMS,
    DEFAULT_MODEL_TYPE,
    SUPPORTED_MODEL_TYPES,
    algorithm,
    algorithm_class,
)
from meta_agent.rl.attribution import explain_decisions, training_background
from meta_agent.rl.clock import decision_candles, hold_between
from meta_agent.rl.contract import (
    ObservationContract,
    check_contract,
    check_feature_inputs,
    fingerprint,
)
from meta_agent.rl.ensemble import ENSEMBLE_KEY, SeedEnsemble, gate, runner_for
from meta_agent.rl.env import ExposureEnv
from meta_agent.rl.freqai_windows import SHOWING_A_BACKTEST, decide_every_window
from meta_agent.rl.masks import action_mask
from meta_agent.rl.risk import (
    RiskAware,
    RiskView,
    budget_slots,
    risk_mask,
    static_max_exposure,
)
from meta_agent.rl.rollout import AgentState, rollout_decisions
from meta_agent.rl.selection import select_model, without_log_folder
from meta_agent.rl.walkforward import TrainedWindow, WindowShare, train_windows
from meta_agent.signals.trend_regime import REGIME_TIMEFRAME, nearest_level_index

logger = logging.getLogger(__name__)

CONTRACT_KEY = "metarl_observation_contract"
SELECTED_MODEL_KEY = "metarl_model_type"
BACKGROUND_KEY = "metarl_attribution_background"
GLOBAL_KEY = "metarl_attribution_global"
#: The daily trend regime feature (``meta_agent.strategy.features.regime_features``), as FreqAI
#: names it once merged from the 1d timeframe: ``%-trend_regime_gen_<pair>_1d``.
REGIME_PREFIX, REGIME_SUFFIX = "%-trend_regime", f"_{REGIME_TIMEFRAME}"


def regime_column(columns: Any, pair: str) -> str:
    """The pair's raw daily trend regime column among ``columns`` (FreqAI's merged 1d feature,
    ``%-trend_regime_gen_<pair>_1d``; correlated pairs and shifted copies have other names)."""
    name = f"{REGIME_PREFIX}_gen_{pair.replace(':', '')}{REGIME_SUFFIX}"
    if name not in columns:
        raise ConfigError(
            f"`meta_rl.base` = 'trend_regime' needs the daily trend regime feature {name}; it is "
            "missing. Add '1d' to `freqai.feature_parameters.include_timeframes`."
        )
    return name


def _check_model_choice(rl_config: dict[str, Any]) -> None:
    model_type = rl_config.get("model_type", DEFAULT_MODEL_TYPE)
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise ConfigError(
            f"`freqai.rl_config.model_type` = '{model_type}' is not supported by MetaRLModel; "
            f"use one of {list(SUPPORTED_MODEL_TYPES)}."
        )
    lstm = algorithm(model_type).recurrent
    policy = rl_config.get("policy_type", "MlpPolicy")
    if lstm != (policy in {a.policy for a in ALGORITHMS.values() if a.recurrent}):
        expected = algorithm(model_type).policy
        raise ConfigError(
            f"`freqai.rl_config.policy_type` = '{policy}' does not fit model_type "
            f"'{model_type}'; use '{expected}'."
        )


def stored_model_type(pair_info: dict[str, Any], dk: FreqaiDataKitchen) -> str | None:
    """The algorithm a saved model was trained with, from its metadata file, if recorded."""
    if dk.live and pair_info.get("model_filename"):
        folder, filename = Path(pair_info["data_path"]), pair_info["model_filename"]
    else:
        folder, filename = Path(dk.data_path), dk.model_filename
    metadata = folder / f"{filename}_metadata.json"
    if not metadata.is_file():
        return None
    return json.loads(metadata.read_text()).get(SELECTED_MODEL_KEY)


def _log_contract(
    config: dict[str, Any],
    base_identifier: str,
    contract_id: str,
    sources: list[str],
    levels: tuple[float, ...],
) -> None:
    models = Path(config.get("user_data_dir", "user_data")) / "models"
    identifier = f"{base_identifier}-{contract_id}"
    logger.info(
        "MetaRL observation contract %s (sources %s, levels %s, model %s): models in %s.",
        contract_id,
        sources,
        list(levels),
        config["freqai"]["rl_config"].get("model_type", DEFAULT_MODEL_TYPE),
        models / identifier,
    )
    contract_folder = re.compile(rf"{re.escape(base_identifier)}-[0-9a-f]{{8}}")
    others = sorted(
        p.name
        for p in models.glob(f"{base_identifier}-*")
        if contract_folder.fullmatch(p.name) and p.name != identifier
    )
    if others:
        logger.warning(
            "Models for other observation contracts exist (%s): sources, levels, reward or model "
            "changed, so they are not loaded and %s trains its own.",
            ", ".join(others),
            identifier,
        )


class MetaRLModelBase(BaseReinforcementLearningModel):
    """FreqAI model choosing a target exposure level per candle (``&-action`` holds the level).

    Config: ``meta_rl`` (sources, exposure levels, max exposure), ``freqai.rl_config``
    (``model_type`` one of PPO, A2C, MaskablePPO, RecurrentPPO; ``policy_type``; ``net_arch``;
    ``train_cycles``; ``progress_bar``; ``model_reward_parameters``) and
    ``freqai.model_training_parameters`` (passed to the SB3 algorithm, e.g. ``seed``).
    """

    def __init__(self, **kwargs: Any) -> None:
        config = kwargs["config"]
        meta_config = MetaRLConfig.from_freqtrade(config)
        if meta_config.base == "book":
            raise ConfigError(
                "`meta_rl.base` = 'book' is the pooled portfolio design: set `freqaimodel` to "
                "MetaRLPortfolioModel (MetaRLModel adjusts 'trend_regime' per pair)."
            )
        rl_config = config["freqai"]["rl_config"]
        _check_model_choice(rl_config)
        RewardConfig.from_rl_config(rl_config)
        can_short = str(config.get("trading_mode", "spot")) == "futures"
        levels = meta_config.levels_for(config.get("trading_mode", "spot"))
        base_identifier = config["freqai"]["identifier"]
        contract_id = fingerprint(config, meta_config.sources, levels)
        if not base_identifier.endswith(f"-{contract_id}"):
            config["freqai"]["identifier"] = f"{base_identifier}-{contract_id}"
        else:
            base_identifier = base_identifier.removesuffix(f"-{contract_id}")
        _log_contract(config, base_identifier, contract_id, meta_config.sources, levels)
        super().__init__(**kwargs)
        self.meta_config = meta_config
        self.reward_config = RewardConfig.from_rl_config(self.rl_config)
        self.levels = np.asarray(levels, dtype=np.float64)
        whitelist = config.get("exchange", {}).get("pair_whitelist", [])
        slots = budget_slots(config.get("max_open_trades", 1), len(whitelist))
        self.mask = action_mask(
            levels,
            can_short=can_short,
            max_exposure=static_max_exposure(meta_config.risk, max(slots, 1)),
        )
        self.action_map = ActionMap(len(levels), residual=meta_config.base is not None)
        timeframes = config["freqai"].get("feature_parameters", {}).get("include_timeframes", [])
        if meta_config.base is not None and REGIME_TIMEFRAME not in timeframes:
            raise ConfigError(
                f"`meta_rl.base` = '{meta_config.base}' adjusts the daily trend regime: add "
                f"'{REGIME_TIMEFRAME}' to `freqai.feature_parameters.include_timeframes` "
                f"(now {timeframes})."
            )
        if meta_config.validation_gate and not config["freqai"].get(
            "data_split_parameters", {}
        ).get("test_size", 0.1):
            raise ConfigError(
                "`meta_rl.validation_gate` scores agents on FreqAI's test split: set "
                "`freqai.data_split_parameters.test_size` above 0 (e.g. 0.2)."
            )
        split = config["freqai"].get("data_split_parameters", {})
        shuffled = split.get("shuffle") or config["freqai"].get("feature_parameters", {}).get(
            "shuffle_after_split"
        )
        if shuffled:
            raise ConfigError(
                "MetaRL steps through the training window in time order: set "
                "`freqai.data_split_parameters.shuffle` false and leave "
                "`freqai.feature_parameters.shuffle_after_split` off."
            )
        # Live only: the limits the next orders will meet (locks, other pairs' exposure), read
        # from the strategy's hook (RiskAware) before each decision.
        self.risk_view: RiskView | None = None
        # Each pair's agent state (position, LSTM), carried from one prediction to the next:
        # backtest window to window, live candle to candle.
        self.agent_state: dict[str, AgentState] = {}
        # A parallel training task (meta_agent.rl.train_jobs): the windows it trains, and
        # what it trained.
        self.window_share: WindowShare | None = None
        self.trained_windows: list[TrainedWindow] = []
        self._wrap_model_loading()

    def _on_stop(self) -> None:
        """At shutdown: FreqAI's base saves the decisions made since the last training
        (``historic_predictions``), but Freqtrade's RL base replaces that hook with one that only
        closes its environments, so a stopped RL bot loses them. Do both."""
        super()._on_stop()
        self.dd.save_historic_predictions_to_disk()

    def set_risk_view(self, view: RiskView | None) -> None:
        """The risk state the next decisions are masked by (:mod:`meta_agent.rl.risk`)."""
        self.risk_view = view

    def start(self, dataframe: DataFrame, metadata: dict, strategy: Any) -> DataFrame:
        """FreqAI's entry point; first reads the strategy's risk hook (:class:`RiskAware`), if
        it has one, so that this candle's decision is masked by the live limits."""
        if isinstance(strategy, RiskAware):
            self.set_risk_view(strategy.decision_risk_view())
        return super().start(dataframe, metadata, strategy)

    def _decision_masks(self, pair: str, count: int) -> np.ndarray:
        """``(count, levels)`` masks: the static one, and for the newest decision of a live bot
        also what the risk limits allow right now."""
        masks = np.tile(self.mask, (count, 1))
        if self.risk_view is not None and count:
            masks[-1] &= risk_mask(self.levels, pair, self.risk_view, self.meta_config.risk)
        return masks

    def _wrap_model_loading(self) -> None:
        """With model selection a saved model may be A2C while the config says PPO: FreqAI's
        loader takes the class from its ``freqai_info``, so load with the type stored in the
        model's metadata instead. The loader reads a copy of that section naming the stored
        type; the shared config (read by a live bot's background training) is never changed."""
        load_data = self.dd.load_data

        def load_as(model_type: str, coin: str, dk: FreqaiDataKitchen) -> Any:
            info = self.dd.freqai_info
            rl_config = {**info["rl_config"], "model_type": model_type}
            configured = info, self.dd.model_type
            self.dd.freqai_info = {**info, "rl_config": rl_config}
            self.dd.model_type = algorithm(model_type).module
            try:
                return load_data(coin, dk)
            finally:
                self.dd.freqai_info, self.dd.model_type = configured

        def load_first_member(coin: str, dk: FreqaiDataKitchen) -> tuple[Any, str]:
            configured_type = self.freqai_info["rl_config"]["model_type"]
            stored = stored_model_type(self.dd.pair_dict.get(coin, {}), dk)
            if stored is None:
                return load_data(coin, dk), configured_type
            return load_as(stored, coin, dk), stored

        def load_ensemble(coin: str, dk: FreqaiDataKitchen) -> Any:
            if not dk.live:
                # FreqAI keeps the last *trained* window's metadata and pipelines in memory and
                # would hand them to a later window loaded from disk (a backtest resumed after
                # some windows were trained): each window loads its own.
                self.dd.meta_data_dictionary.pop(coin, None)
            try:
                first, model_type = load_first_member(coin, dk)
            except Exception as err:
                raise ModelLoadError(
                    f"Cannot load the MetaRL model of {coin} from {dk.data_path} "
                    f"({dk.model_filename}_model.zip, its metadata and pipelines): "
                    f"{type(err).__name__}: {err}. Delete that folder to train the window again."
                ) from err
            info = dk.data.get(ENSEMBLE_KEY)
            # Live, FreqAI hands back the model it holds in memory: after a retrain, the
            # ensemble itself; after a restart, the first member until it is completed here.
            if info is None or first is None or isinstance(first, SeedEnsemble):
                return first
            path = Path(dk.data_path) / f"{dk.model_filename}_model.zip"
            types = info.get("model_types") or [model_type] * int(info["members"])
            try:
                classes = [algorithm_class(t) for t in types]
                ensemble = SeedEnsemble.load(first, path, info, classes)
            except Exception as err:
                raise ModelLoadError(
                    f"Cannot load the ensemble members of {coin} beside {path}: "
                    f"{type(err).__name__}: {err}. Delete {dk.data_path} to train the window again."
                ) from err
            if dk.live:
                self.dd.model_dictionary[coin] = ensemble
            return ensemble

        self.dd.load_data = load_ensemble

    def _fee(self, pair: str) -> float:
        if self.config.get("fee") is not None:
            return float(self.config["fee"])
        exchange = self.data_provider._exchange if self.data_provider else None
        if exchange is None:
            raise RuntimeError(f"No exchange to read the fee of {pair} from; set `fee`.")
        # Market orders pay the taker fee.
        return float(exchange.get_fee(symbol=pair, taker_or_maker="taker"))

    def _contract(self, feature_names: list[str]) -> ObservationContract:
        return ObservationContract(
            sources=tuple(self.meta_config.sources),
            feature_names=tuple(feature_names),
            levels=tuple(float(level) for level in self.levels),
        )

    def _decisions(self, dates: Any) -> np.ndarray:
        """Bool per candle: is it a decision candle of ``meta_rl.decision_every``?"""
        every = self.meta_config.decision_every
        if every == 1:
            return np.ones(len(dates), dtype=bool)
        return decision_candles(dates, self.config["timeframe"], every)

    def _base_levels(self, frame: DataFrame, pair: str) -> np.ndarray | None:
        """Level index of the base policy per row of ``frame`` (raw features), if configured."""
        if self.meta_config.base is None:
            return None
        regime = frame[regime_column(frame.columns, pair)].to_numpy(dtype=np.float64)
        return nearest_level_index(regime, self.levels)

    def set_train_and_eval_environments(
        self,
        data_dictionary: dict[str, DataFrame],
        prices_train: DataFrame,
        prices_test: DataFrame,
        dk: FreqaiDataKitchen,
    ) -> None:
        """The training environment on the decision candles of FreqAI's train split; the test
        split (the end of the training window) is kept as the validation slice."""
        fee = self._fee(dk.pair)
        train_features = data_dictionary["train_features"]
        slices = {}
        for name, prices in (("train", prices_train), ("test", prices_test)):
            features = data_dictionary[f"{name}_features"]
            if len(features) != len(prices):
                raise OperationalException(
                    f"MetaRL needs one price per {name} row; got {len(features)} rows and "
                    f"{len(prices)} prices (did FreqAI's pipeline drop outliers?)."
                )
            raw = self._train_frame.loc[prices.index]
            decided = self._decisions(raw["date"])
            base = self._base_levels(raw, dk.pair)
            slices[name] = (
                features.to_numpy(dtype=np.float32)[decided],
                prices["close"].to_numpy(dtype=np.float64)[decided],
                None if base is None else base[decided],
            )
        features, prices, base = slices["train"]
        self.train_env = ExposureEnv(
            features,
            prices,
            self.levels,
            fee,
            self.reward_config,
            self.mask,
            base=base,
            band=self.meta_config.rebalance_threshold,
            episode_length=self.meta_config.episode_length,
        )
        self._validation = slices["test"]
        dk.data[CONTRACT_KEY] = self._contract(list(train_features.columns)).to_dict()
        logger.info(
            "MetaRL environment for %s: %d decision steps of %d candles, %d features, levels %s, "
            "fee %.4f, %s actions",
            dk.pair,
            len(prices),
            len(prices_train),
            len(train_features.columns),
            self.levels[self.mask].tolist(),
            fee,
            "residual (adjusting the trend regime)" if base is not None else "direct",
        )

    def train(
        self, unfiltered_df: DataFrame, pair: str, dk: FreqaiDataKitchen, **kwargs: Any
    ) -> Any:
        if self.config.get("runmode") in SHOWING_A_BACKTEST:
            # The chart loads only the timerange and the startup candles: a model trained here
            # would see a fraction of the training window and not be the backtest's agent.
            self._training_error = (
                f"no saved decisions or model of a backtest for the window ending "
                f"{self.training_timerange.stop_fmt}: run `freqtrade backtesting` with this "
                "--timerange first (MetaRL does not train to draw a chart)"
            )
            return None
        self._train_frame = unfiltered_df
        try:
            return super().train(unfiltered_df, pair, dk, **kwargs)
        except Exception as err:
            self._training_error = f"{type(err).__name__}: {err}"
            raise

    def start_backtesting(
        self,
        dataframe: DataFrame,
        metadata: dict[str, Any],
        dk: FreqaiDataKitchen,
        strategy: Any,
    ) -> FreqaiDataKitchen:
        """FreqAI's walk-forward backtest, except that every window is decided again.

        FreqAI would reuse a window's cached predictions (``backtesting_predictions/``); those
        were decided from the agent state the earlier run held, which this run does not have
        (a resumed or shorter run, another first window), and FreqAI would compare their
        feature list with the strategy's. MetaRL instead reloads each window's saved model and
        decides the windows in order, carrying its state: a re-run decides exactly as the
        first run did. Deciding is cheap next to training, which saved models still spare.
        Commands that only draw a backtest (:data:`SHOWING_A_BACKTEST`) keep FreqAI's reuse:
        they show the decisions the latest backtest of each window saved.

        With :attr:`window_share` set (a parallel training task) only those windows are
        trained and saved, and nothing is predicted.
        """
        if self.config.get("runmode") not in SHOWING_A_BACKTEST:
            decide_every_window(dk)
        if self.window_share is None:
            return super().start_backtesting(dataframe, metadata, dk, strategy)
        self.trained_windows += train_windows(
            self, dataframe, metadata, dk, strategy, self.window_share
        )
        dk.return_dataframe = dataframe
        return dk

    def check_if_feature_list_matches_strategy(self, dk: FreqaiDataKitchen) -> None:
        """FreqAI's check before it reuses saved predictions, minus the raw prices: the
        strategy furnishes them for the environment, the saved list has them dropped."""
        if self.rl_config.get("drop_ohlc_from_features"):
            raw = {"%-raw_open", "%-raw_low", "%-raw_high", "%-raw_close"}
            dk.training_features_list = [f for f in dk.training_features_list if f not in raw]
        super().check_if_feature_list_matches_strategy(dk)

    def _append_null_backtesting_predictions(
        self, dk: FreqaiDataKitchen, dataframe_backtest: DataFrame
    ) -> None:
        """FreqAI would log a failed training and backtest the window on null predictions, a
        silent zero-trade result. A backtest must fail loudly instead."""
        raise OperationalException(
            f"MetaRL training failed for {dk.pair} (window ending "
            f"{self.training_timerange.stop_fmt}): {getattr(self, '_training_error', 'unknown')}. "
            "Refusing to backtest this window on empty predictions."
        )

    def fit(self, data_dictionary: dict[str, Any], dk: FreqaiDataKitchen, **kwargs: Any) -> Any:
        """Train ``meta_rl.seeds`` fresh agents on the training window's decision steps (each
        chosen among several algorithms if ``meta_rl.model_selection`` is set), gate them on
        the validation slice if ``meta_rl.validation_gate``; returns the :class:`SeedEnsemble`."""
        train_cycles = self.rl_config.get("train_cycles", 1)
        params = {
            "device": "cpu",
            "policy_kwargs": {"activation_fn": th.nn.ReLU, "net_arch": self.net_arch},
            **self.freqai_info.get("model_training_parameters", {}),
        }
        selection = self.meta_config.model_selection
        steps = int(train_cycles * len(self.train_env.prices))
        members = []
        member_types: list[str] = []
        for index in range(self.meta_config.seeds):
            member_params = dict(params)
            if "seed" in params:
                member_params["seed"] = int(params["seed"]) + index
            if selection is not None:
                chosen = select_model(
                    selection.candidates,
                    self.train_env,
                    selection.validation_fraction,
                    train_cycles,
                    member_params,
                )
                member_types.append(chosen.model_type)
                members.append(chosen.model)
                continue
            member = self.MODELCLASS(self.policy_type, self.train_env, **member_params)
            without_log_folder(member).learn(
                total_timesteps=steps, progress_bar=bool(self.rl_config.get("progress_bar"))
            )
            members.append(member)
        follow = self.action_map.follow_base if self.action_map.residual else None
        model = SeedEnsemble(members, follow_base=follow)
        if member_types:  # model selection: the first member's type is FreqAI's to load
            dk.data[SELECTED_MODEL_KEY] = member_types[0]
            model.model_types = member_types
        features, prices, base = self._validation
        if self.meta_config.validation_gate:
            if len(prices) < 2 or base is None:
                raise OperationalException(
                    f"MetaRL's validation gate for {dk.pair} has {len(prices)} validation "
                    "decision steps; the training window's test split is too short."
                )
            gate(
                model,
                features,
                prices,
                self.levels,
                self.mask,
                self.train_env.fee,
                base,
                self.meta_config.rebalance_threshold,
                label=dk.pair,
            )
        dk.data[ENSEMBLE_KEY] = model.metadata()
        if self.meta_config.attribution:
            background, importance = training_background(
                model,
                self.train_env,
                list(data_dictionary["train_features"]),
                self.meta_config.sources,
                self.meta_config.attribution_background,
            )
            dk.data[BACKGROUND_KEY] = background.tolist()
            dk.data[GLOBAL_KEY] = importance
            # A live bot stores every prediction column with its label statistics
            # (FreqAI's append_model_predictions); attributions have none, record neutral ones.
            for group in [*self.meta_config.sources, CONTEXT, POSITION]:
                for stats in ("labels_mean", "labels_std"):
                    dk.data.setdefault(stats, {})[attribution_column(group)] = 0.0
            Path(dk.data_path).mkdir(parents=True, exist_ok=True)
            (Path(dk.data_path) / GLOBAL_FILE).write_text(json.dumps(importance, indent=1))
        return model

    def predict(
        self, unfiltered_df: DataFrame, dk: FreqaiDataKitchen, **kwargs: Any
    ) -> tuple[DataFrame, npt.NDArray[np.int_]]:
        """Target exposure per candle of ``unfiltered_df``, decided sequentially.

        Continues from the state this pair's agent held after the previous call (the previous
        backtest window, or the previous live candle); candles already decided are not decided
        again.
        """
        saved = dk.data.get(CONTRACT_KEY)
        # The contract first: FreqAI's pipeline would fail on other features its own way.
        check_contract(saved, self._contract([]), ("sources", "levels", "position_features"))
        dk.find_features(unfiltered_df)
        filtered, _ = dk.filter_features(
            unfiltered_df, dk.training_features_list, training_filter=False
        )
        features = self.drop_ohlc_from_df(filtered, dk)
        trained_on = dk.data.get("training_features_list")
        if trained_on is not None:
            check_feature_inputs(list(trained_on), list(features.columns), str(dk.data_path))
        features, _, _ = dk.feature_pipeline.transform(features, outlier_check=True)
        check_contract(saved, self._contract(list(features.columns)), ("feature_names",))

        state = self.agent_state.setdefault(dk.pair, AgentState())
        dates = unfiltered_df["date"]
        if state.last_date is None:
            new = np.ones(len(dates), dtype=bool)
        else:
            new = (dates > state.last_date).to_numpy()
        exposures = np.full(len(dates), state.position.exposure)
        pred_df = DataFrame(index=range(len(dates)))
        if new.any():
            new_rows = np.flatnonzero(new)
            decided = self._decisions(dates.iloc[new_rows])
            rows = new_rows[decided]
            base = self._base_levels(unfiltered_df, dk.pair)
            held_before = state.position.exposure
            decisions = rollout_decisions(
                runner_for(self.model),
                features.to_numpy(dtype=np.float32)[rows],
                unfiltered_df["close"].to_numpy(dtype=np.float64)[rows],
                self.levels,
                self._decision_masks(dk.pair, len(rows)),
                self._fee(dk.pair),
                state,
                base=None if base is None else base[rows],
                band=self.meta_config.rebalance_threshold,
            )
            exposures[new] = hold_between(decided, decisions.exposures, held_before)
            state.last_date = dates.iloc[new_rows[-1]]
            background = dk.data.get(BACKGROUND_KEY)
            attributions = DataFrame()
            # When the gate kept the base, the decisions are the base's: nothing to attribute
            # to the sources (the columns stay 0).
            agent_traded = not isinstance(self.model, SeedEnsemble) or self.model.use_agent
            if self.meta_config.attribution and background is not None and len(rows):
                attributions = explain_decisions(
                    self.model,
                    np.asarray(background),
                    decisions,
                    list(features.columns),
                    self.meta_config.sources,
                )
                if not agent_traded:
                    attributions = attributions * 0.0
            for name, values in attributions.items():
                pred_df[attribution_column(name)] = 0.0
                pred_df.loc[rows, attribution_column(name)] = values.to_numpy()
        if self.meta_config.attribution and dk.data.get(BACKGROUND_KEY) is not None:
            # Candles without a decision (between daily decisions, a run cut before the next
            # one) have the same columns, at 0: frames of any length compare column for column.
            for group in [*self.meta_config.sources, CONTEXT, POSITION]:
                if attribution_column(group) not in pred_df:
                    pred_df[attribution_column(group)] = 0.0
        for label in dk.label_list:
            pred_df[label] = exposures
        return pred_df, dk.do_predict
