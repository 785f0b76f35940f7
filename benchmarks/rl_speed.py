"""Speed of MetaRL's RL paths against FreqAI's stock ones, on real candles. Prints ratios.

    python benchmarks/rl_speed.py [--candles N] [--train-steps N]

1. Per-candle decision time: MetaRL's sequential stateful prediction (position, masks, LSTM
   state carried) versus FreqAI's stock ``BaseReinforcementLearningModel.rl_model_predict``
   (one ``model.predict`` per candle through ``rolling().apply``), same trained PPO model, same
   candles. The stock path cannot carry position state, so its position block is zeros.
2. Training environment steps per second: ``ExposureEnv`` versus FreqAI's ``Base5ActionRLEnv``
   (with a minimal reward, so the environment's own mechanics are measured), same features.
3. SHAP attribution cost: one live decision (one candle, one pair; the budget is 20 ms) and
   per candle when a backtest window is explained in one batch.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from freqtrade.freqai.RL.Base5ActionRLEnv import Base5ActionRLEnv
from freqtrade.freqai.RL.BaseReinforcementLearningModel import BaseReinforcementLearningModel
from sklearn.preprocessing import MinMaxScaler
from stable_baselines3 import PPO

from meta_agent.data.kraken import read_kraken_ohlcvt
from meta_agent.features import signal_features, time_features, timeframe_context
from meta_agent.rl.attribution import PolicyExplainer
from meta_agent.rl.env import ExposureEnv
from meta_agent.rl.inference import PolicyRunner
from meta_agent.rl.position import POSITION_FEATURES
from meta_agent.rl.rollout import AgentState, rollout_decisions
from meta_agent.signals import SourceContext, StoreFeed

LEVELS = np.array([0.0, 0.5, 1.0])
FEE = 0.004
KRAKEN_BTC = Path(__file__).resolve().parents[1].parent / "shared/data/kraken/raw/XBTUSD_60.csv"


class _WindowModel:
    """Feeds the stock path's one-row window to a model with a flat observation space.

    FreqAI's own environments declare a ``(window, features)`` space, so SB3 treats the row as
    one observation; ours is flat, so the row is taken out first (SB3 converts the frame to an
    array either way).
    """

    def __init__(self, model: PPO) -> None:
        self.model = model

    def predict(self, observation: pd.DataFrame, deterministic: bool) -> tuple[np.ndarray, None]:
        action, _ = self.model.predict(observation.to_numpy()[-1], deterministic=deterministic)
        return action, None


class _StockEnv(Base5ActionRLEnv):
    """FreqAI's 5-action environment with the cheapest meaningful reward."""

    def calculate_reward(self, action: int) -> float:
        return float(self.get_unrealized_profit())


def real_features(n: int) -> tuple[pd.DataFrame, np.ndarray]:
    candles = read_kraken_ohlcvt(KRAKEN_BTC).iloc[-(n + 500) :].reset_index(drop=True)
    frame = pd.concat(
        [
            signal_features(
                candles, ["trend-v1"], SourceContext("BTC/USD", "1h", StoreFeed(Path(".")))
            ),
            time_features(candles),
            timeframe_context(candles),
        ],
        axis=1,
    ).iloc[500:]
    frame = frame.loc[:, frame.std() > 0]  # FreqAI drops constant columns
    scaled = MinMaxScaler((-1, 1)).fit_transform(frame.to_numpy())
    return pd.DataFrame(scaled, columns=frame.columns), candles["close"].to_numpy()[500:]


def per_candle(seconds: float, candles: int) -> str:
    return f"{seconds / candles * 1e6:8.1f} us/candle"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candles", type=int, default=2000)
    parser.add_argument("--train-steps", type=int, default=2048)
    args = parser.parse_args()

    features, prices = real_features(args.candles)
    env = ExposureEnv(features.to_numpy(), prices, LEVELS, FEE)
    model = PPO("MlpPolicy", env, n_steps=512, batch_size=64, seed=0, device="cpu")
    model.learn(args.train_steps)
    print(f"{len(features)} real Kraken BTC/USD 1h candles, {features.shape[1]} features")

    mask = np.ones(len(LEVELS), bool)
    start = time.perf_counter()
    decisions = rollout_decisions(
        PolicyRunner(model), features.to_numpy(), prices, LEVELS, mask, FEE, AgentState()
    )
    ours = time.perf_counter() - start

    stock_input = features.assign(**{f"pos_{n}": 0.0 for n in POSITION_FEATURES})
    stock_self = SimpleNamespace(CONV_WIDTH=1, live=False, rl_config={})
    stock_dk = SimpleNamespace(label_list=["&-action"], pair="BTC/USD")
    start = time.perf_counter()
    BaseReinforcementLearningModel.rl_model_predict(
        stock_self, stock_input, stock_dk, _WindowModel(model)
    )
    stock = time.perf_counter() - start
    print(f"decision  MetaRL sequential stateful  {per_candle(ours, len(features))}")
    print(f"decision  FreqAI rolling().apply      {per_candle(stock, len(features))}")
    print(f"decision  speed-up (stock / MetaRL)   {stock / ours:8.1f}x")

    steps = len(features) - 2
    rng = np.random.default_rng(0)
    ours_env = ExposureEnv(features.to_numpy(), prices, LEVELS, FEE)
    ours_env.reset(seed=0)
    start = time.perf_counter()
    for action in rng.integers(0, len(LEVELS), steps):
        ours_env.step(action)
    ours_sps = steps / (time.perf_counter() - start)

    ohlc = pd.DataFrame({col: prices for col in ("open", "high", "low", "close")})
    stock_env = _StockEnv(
        df=features,
        prices=ohlc,
        reward_kwargs={"rr": 1, "profit_aim": 0.025},
        window_size=1,
        config={"freqai": {"rl_config": {}}, "stake_amount": "unlimited", "fee": FEE},
        df_raw=features,
    )
    stock_env.reset()
    start = time.perf_counter()
    for action in rng.integers(0, 5, steps):
        stock_env.step(int(action))
    stock_sps = steps / (time.perf_counter() - start)
    print(f"env       ExposureEnv                 {ours_sps:8.0f} steps/s")
    print(f"env       FreqAI Base5ActionRLEnv     {stock_sps:8.0f} steps/s")
    print(f"env       ratio (ExposureEnv / stock) {ours_sps / stock_sps:8.1f}x")

    background = decisions.observations[::40][:50]
    live = []
    for t in range(100):  # as MetaRLModel.predict does it live: build, then explain one row
        start = time.perf_counter()
        PolicyExplainer(model, background).explain(
            decisions.observations[t : t + 1], decisions.actions[t : t + 1]
        )
        live.append(time.perf_counter() - start)
    explainer = PolicyExplainer(model, background)
    window = slice(0, 720)  # a 30-day backtest window
    start = time.perf_counter()
    explainer.explain(decisions.observations[window], decisions.actions[window])
    batch = (time.perf_counter() - start) / 720
    print(f"shap      live decision (1 candle)    {np.median(live) * 1e3:8.2f} ms (budget 20 ms)")
    print(f"shap      backtest batch (720 candles) {batch * 1e3:7.2f} ms/candle")


if __name__ == "__main__":
    main()
