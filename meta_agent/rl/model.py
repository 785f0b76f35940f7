"""MetaRLModel's logic: FreqAI RL training on ExposureEnv and stateful sequential prediction.

FreqAI's stock RL predicts each candle independently through ``rolling().apply``, so the agent
never sees its own position in a backtest. Here every prediction walks the candles in order and
feeds the exposure the agent chose back into its next observation, in backtests and live alike.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt
import torch as th
from freqtrade.freqai.data_kitchen import FreqaiDataKitchen
from freqtrade.freqai.RL.BaseReinforcementLearningModel import BaseReinforcementLearningModel
from pandas import DataFrame

from meta_agent.config import MetaRLConfig, RewardConfig
from meta_agent.rl.env import ExposureEnv
from meta_agent.rl.rollout import rollout

logger = logging.getLogger(__name__)


class MetaRLModelBase(BaseReinforcementLearningModel):
    """FreqAI model choosing a target exposure level per candle (``&-action`` holds the level).

    Config: ``meta_rl`` (sources, exposure levels), ``freqai.rl_config`` (``model_type``,
    ``policy_type``, ``net_arch``, ``train_cycles``, ``progress_bar``,
    ``model_reward_parameters``) and ``freqai.model_training_parameters`` (passed to the SB3
    algorithm, e.g. ``seed``, ``learning_rate``, ``n_steps``).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.meta_config = MetaRLConfig.from_freqtrade(self.config)
        self.reward_config = RewardConfig.from_rl_config(self.rl_config)
        self.levels = self.meta_config.levels_for(self.config.get("trading_mode", "spot"))
        # Exposure each pair holds after its latest decision: the agent's own state, carried
        # from one prediction call to the next (backtest windows, live candles).
        self.exposure_state: dict[str, float] = {}

    def _fee(self, pair: str) -> float:
        if self.config.get("fee") is not None:
            return float(self.config["fee"])
        exchange = self.data_provider._exchange if self.data_provider else None
        if exchange is None:
            raise RuntimeError(f"No exchange to read the fee of {pair} from; set `fee`.")
        # Market orders pay the taker fee.
        return float(exchange.get_fee(symbol=pair, taker_or_maker="taker"))

    def set_train_and_eval_environments(
        self,
        data_dictionary: dict[str, DataFrame],
        prices_train: DataFrame,
        prices_test: DataFrame,
        dk: FreqaiDataKitchen,
    ) -> None:
        fee = self._fee(dk.pair)
        self.train_env = ExposureEnv(
            data_dictionary["train_features"].to_numpy(),
            prices_train["close"].to_numpy(),
            self.levels,
            fee,
            self.reward_config,
        )
        logger.info(
            "MetaRL environment for %s: %d candles, %d features, levels %s, fee %.4f",
            dk.pair,
            len(prices_train),
            data_dictionary["train_features"].shape[1],
            list(self.levels),
            fee,
        )

    def fit(self, data_dictionary: dict[str, Any], dk: FreqaiDataKitchen, **kwargs: Any) -> Any:
        """Train a fresh SB3 agent on the training window; returns the trained model."""
        train_df = data_dictionary["train_features"]
        total_timesteps = int(self.rl_config.get("train_cycles", 1) * len(train_df))
        policy_kwargs = {"activation_fn": th.nn.ReLU, "net_arch": self.net_arch}
        params = {"device": "cpu", **self.freqai_info.get("model_training_parameters", {})}
        model = self.MODELCLASS(
            self.policy_type, self.train_env, policy_kwargs=policy_kwargs, **params
        )
        model.learn(
            total_timesteps=total_timesteps,
            progress_bar=bool(self.rl_config.get("progress_bar", True)),
        )
        return model

    def predict(
        self, unfiltered_df: DataFrame, dk: FreqaiDataKitchen, **kwargs: Any
    ) -> tuple[DataFrame, npt.NDArray[np.int_]]:
        """Target exposure per candle of ``unfiltered_df``, decided sequentially.

        Continues from the exposure this pair held after the previous call, which is what the
        live bot does candle by candle.
        """
        dk.find_features(unfiltered_df)
        filtered, _ = dk.filter_features(
            unfiltered_df, dk.training_features_list, training_filter=False
        )
        features = self.drop_ohlc_from_df(filtered, dk)
        features, _, _ = dk.feature_pipeline.transform(features, outlier_check=True)
        start = self.exposure_state.get(dk.pair, 0.0)
        exposures = rollout(self.model, features.to_numpy(dtype=np.float32), self.levels, start)
        if len(exposures):
            self.exposure_state[dk.pair] = float(exposures[-1])
        pred_df = DataFrame({label: exposures for label in dk.label_list})
        return pred_df, dk.do_predict
