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

from meta_agent.config import MetaRLConfig, RewardConfig
from meta_agent.errors import ConfigError
from meta_agent.risk import RiskView, risk_mask, static_max_exposure
from meta_agent.rl.attribution import (
    CONTEXT,
    POSITION,
    explain_decisions,
    training_background,
)
from meta_agent.rl.contract import ObservationContract, check_contract, fingerprint
from meta_agent.rl.env import ExposureEnv
from meta_agent.rl.inference import SUPPORTED_MODEL_TYPES, PolicyRunner
from meta_agent.rl.masks import action_mask
from meta_agent.rl.rollout import AgentState, rollout_decisions
from meta_agent.rl.selection import SB3_CONTRIB, select_model

logger = logging.getLogger(__name__)

CONTRACT_KEY = "metarl_observation_contract"
SELECTED_MODEL_KEY = "metarl_model_type"
BACKGROUND_KEY = "metarl_attribution_background"
GLOBAL_KEY = "metarl_attribution_global"
GLOBAL_FILE = "attribution_global.json"
ATTRIBUTION_PREFIX = "%%-attr_"


def _check_model_choice(rl_config: dict[str, Any]) -> None:
    model_type = rl_config.get("model_type", "PPO")
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise ConfigError(
            f"`freqai.rl_config.model_type` = '{model_type}' is not supported by MetaRLModel; "
            f"use one of {list(SUPPORTED_MODEL_TYPES)}."
        )
    lstm = model_type == "RecurrentPPO"
    policy = rl_config.get("policy_type", "MlpPolicy")
    if lstm != (policy == "MlpLstmPolicy"):
        expected = "MlpLstmPolicy" if lstm else "MlpPolicy"
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
        config["freqai"]["rl_config"].get("model_type", "PPO"),
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
        slots = int(config.get("max_open_trades", 1))
        self.mask = action_mask(
            levels,
            can_short=can_short,
            max_exposure=static_max_exposure(meta_config.risk, max(slots, 1)),
        )
        # Live only: the limits the next orders will meet (locks, other pairs' exposure),
        # set by the strategy at the start of every bot loop.
        self.risk_view: RiskView | None = None
        # Each pair's agent state (position, LSTM), carried from one prediction to the next:
        # backtest window to window, live candle to candle.
        self.agent_state: dict[str, AgentState] = {}
        self._wrap_model_loading()

    def set_risk_view(self, view: RiskView) -> None:
        """The risk state this bot loop's decisions are masked by (see :mod:`meta_agent.risk`)."""
        self.risk_view = view

    def _decision_masks(self, pair: str, count: int) -> np.ndarray:
        """``(count, levels)`` masks: the static one, and for the newest decision of a live bot
        also what the risk limits allow right now."""
        masks = np.tile(self.mask, (count, 1))
        if self.risk_view is not None and count:
            masks[-1] &= risk_mask(self.levels, pair, self.risk_view, self.meta_config.risk)
        return masks

    def _wrap_model_loading(self) -> None:
        """With model selection a saved model may be A2C while the config says PPO: FreqAI's
        loader takes the class from the config, so load with the type stored in the model's
        metadata instead."""
        load_data = self.dd.load_data

        def load_with_stored_type(coin: str, dk: FreqaiDataKitchen) -> Any:
            stored = stored_model_type(self.dd.pair_dict.get(coin, {}), dk)
            if stored is None:
                return load_data(coin, dk)
            rl_config = self.freqai_info["rl_config"]
            configured = rl_config["model_type"], self.dd.model_type
            rl_config["model_type"] = stored
            self.dd.model_type = "sb3_contrib" if stored in SB3_CONTRIB else "stable_baselines3"
            try:
                return load_data(coin, dk)
            finally:
                rl_config["model_type"], self.dd.model_type = configured

        self.dd.load_data = load_with_stored_type

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

    def set_train_and_eval_environments(
        self,
        data_dictionary: dict[str, DataFrame],
        prices_train: DataFrame,
        prices_test: DataFrame,
        dk: FreqaiDataKitchen,
    ) -> None:
        fee = self._fee(dk.pair)
        train_features = data_dictionary["train_features"]
        self.train_env = ExposureEnv(
            train_features.to_numpy(),
            prices_train["close"].to_numpy(),
            self.levels,
            fee,
            self.reward_config,
            self.mask,
        )
        dk.data[CONTRACT_KEY] = self._contract(list(train_features.columns)).to_dict()
        logger.info(
            "MetaRL environment for %s: %d candles, features %s, levels %s, fee %.4f",
            dk.pair,
            len(prices_train),
            list(train_features.columns),
            self.levels[self.mask].tolist(),
            fee,
        )

    def train(
        self, unfiltered_df: DataFrame, pair: str, dk: FreqaiDataKitchen, **kwargs: Any
    ) -> Any:
        try:
            return super().train(unfiltered_df, pair, dk, **kwargs)
        except Exception as err:
            self._training_error = f"{type(err).__name__}: {err}"
            raise

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
        """Train a fresh agent on the training window (or choose among several, if
        ``meta_rl.model_selection`` is set); returns the trained model."""
        train_cycles = self.rl_config.get("train_cycles", 1)
        params = {
            "device": "cpu",
            "policy_kwargs": {"activation_fn": th.nn.ReLU, "net_arch": self.net_arch},
            **self.freqai_info.get("model_training_parameters", {}),
        }
        selection = self.meta_config.model_selection
        if selection is not None:
            chosen = select_model(
                selection.candidates,
                self.train_env,
                selection.validation_fraction,
                train_cycles,
                params,
            )
            dk.data[SELECTED_MODEL_KEY] = chosen.model_type
            model = chosen.model
        else:
            model = self.MODELCLASS(self.policy_type, self.train_env, **params)
            model.learn(
                total_timesteps=int(train_cycles * len(data_dictionary["train_features"])),
                progress_bar=bool(self.rl_config.get("progress_bar")),
            )
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
                    dk.data.setdefault(stats, {})[f"{ATTRIBUTION_PREFIX}{group}"] = 0.0
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
        dk.find_features(unfiltered_df)
        filtered, _ = dk.filter_features(
            unfiltered_df, dk.training_features_list, training_filter=False
        )
        features = self.drop_ohlc_from_df(filtered, dk)
        features, _, _ = dk.feature_pipeline.transform(features, outlier_check=True)
        check_contract(dk.data.get(CONTRACT_KEY), self._contract(list(features.columns)))

        state = self.agent_state.setdefault(dk.pair, AgentState())
        dates = unfiltered_df["date"]
        if state.last_date is None:
            new = np.ones(len(dates), dtype=bool)
        else:
            new = (dates > state.last_date).to_numpy()
        exposures = np.full(len(dates), state.position.exposure)
        pred_df = DataFrame(index=range(len(dates)))
        if new.any():
            decisions = rollout_decisions(
                PolicyRunner(self.model),
                features.to_numpy(dtype=np.float32)[new],
                unfiltered_df["close"].to_numpy(dtype=np.float64)[new],
                self.levels,
                self._decision_masks(dk.pair, int(new.sum())),
                self._fee(dk.pair),
                state,
            )
            exposures[new] = decisions.exposures
            state.last_date = dates.iloc[np.flatnonzero(new)[-1]]
            background = dk.data.get(BACKGROUND_KEY)
            attributions = DataFrame()
            if self.meta_config.attribution and background is not None:
                attributions = explain_decisions(
                    self.model,
                    np.asarray(background),
                    decisions,
                    list(features.columns),
                    self.meta_config.sources,
                )
            for name, values in attributions.items():
                pred_df[f"{ATTRIBUTION_PREFIX}{name}"] = 0.0
                pred_df.loc[np.flatnonzero(new), f"{ATTRIBUTION_PREFIX}{name}"] = values.to_numpy()
        for label in dk.label_list:
            pred_df[label] = exposures
        return pred_df, dk.do_predict
