"""The timed stages of ``make bench``, each MetaRL's path and its reference on the same input.

Every function runs in its own child process (``bench.py`` reads that process's peak RSS from
the operating system) and returns ``{"seconds": [...], ...}``: one wall time per repeat, plus
the stage's figure per repeat where a rate is the figure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = PROJECT_ROOT.parent / "shared" / "data"
LEVELS = np.array([0.0, 0.5, 1.0])
FEE = 0.004
SIGNAL_PAIRS = ("BTC/USDT", "ETH/USDT", "XRP/USDT", "DOGE/USDT")
SIGNAL_SPAN = ("2020-01-01", "2024-01-01")
#: config.json's PPO settings: the same for MetaRL's environment and the stock one.
PPO_SETTINGS: dict[str, Any] = {
    "learning_rate": 0.0003,
    "n_steps": 512,
    "batch_size": 64,
    "ent_coef": 0.01,
    "seed": 42,
    "verbose": 0,
    "device": "cpu",
}


def timed(function: Callable[[], Any], repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return seconds


# --- signals ------------------------------------------------------------------------------------
def _binance_candles() -> dict[str, pd.DataFrame]:
    from meta_agent.data.importer import pair_stem

    frames = {}
    for pair in SIGNAL_PAIRS:
        name = pair_stem(pair)
        frame = pd.read_feather(SHARED / "binance" / f"{name}-1h.feather")
        inside = (frame["date"] >= SIGNAL_SPAN[0]) & (frame["date"] < SIGNAL_SPAN[1])
        frames[pair] = frame[inside].reset_index(drop=True)
    return frames


def signals_metarl(repeats: int, datadir: Path) -> dict[str, Any]:
    """All sources of ``config.json`` over 4 pairs x 4 years of Binance 1h candles."""
    import json

    from meta_agent.config import MetaRLConfig
    from meta_agent.feeds.store import StoreFeed
    from meta_agent.signals import SourceContext
    from meta_agent.strategy.features import signal_features

    config = json.loads((PROJECT_ROOT / "config.json").read_text())
    meta = MetaRLConfig.from_freqtrade(config)
    candles = _binance_candles()
    feed = StoreFeed(datadir, "binance")

    def run() -> None:
        for pair, frame in candles.items():
            signal_features(frame, meta.sources, SourceContext(pair, "1h", feed))

    rows = sum(len(frame) for frame in candles.values())
    return {"seconds": timed(run, repeats), "candles": rows, "sources": len(meta.sources)}


def signals_reference(repeats: int, datadir: Path) -> dict[str, Any]:
    """FreqAI's example feature set (``FreqaiExampleStrategy``: the expand-all indicators on
    periods 10, 20, 30, expand-basic, standard) on the same candles."""
    from freqtrade.templates.FreqaiExampleStrategy import FreqaiExampleStrategy

    candles = _binance_candles()
    strategy = FreqaiExampleStrategy.__new__(FreqaiExampleStrategy)  # the methods are pure

    def run() -> None:
        for pair, frame in candles.items():
            frame = frame.copy()
            for period in (10, 20, 30):
                frame = strategy.feature_engineering_expand_all(frame, period, {"pair": pair})
            frame = strategy.feature_engineering_expand_basic(frame, {"pair": pair})
            strategy.feature_engineering_standard(frame, {"pair": pair})

    rows = sum(len(frame) for frame in candles.values())
    return {"seconds": timed(run, repeats), "candles": rows}


# --- training and inference share real features ---------------------------------------------------
def real_features(n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` scaled feature rows (trend source, time, context) and closes of Kraken BTC/USD."""
    from sklearn.preprocessing import MinMaxScaler

    from meta_agent.data.kraken import read_kraken_ohlcvt
    from meta_agent.feeds.store import StoreFeed
    from meta_agent.signals import SourceContext
    from meta_agent.strategy.features import signal_features, time_features, timeframe_context

    raw = read_kraken_ohlcvt(SHARED / "kraken" / "raw" / "XBTUSD_60.csv")
    candles = raw.iloc[-(n + 500) :].reset_index(drop=True)
    context = SourceContext("BTC/USD", "1h", StoreFeed(Path(".")))
    frame = pd.concat(
        [
            signal_features(candles, ["trend-v1"], context),
            time_features(candles),
            timeframe_context(candles),
        ],
        axis=1,
    ).iloc[500:]
    frame = frame.loc[:, frame.std() > 0]  # FreqAI drops constant columns
    scaled = MinMaxScaler((-1, 1)).fit_transform(frame.to_numpy())
    return pd.DataFrame(scaled, columns=frame.columns), candles["close"].to_numpy()[500:]


def _stock_env(features: pd.DataFrame, prices: np.ndarray) -> Any:
    """FreqAI's ``ReinforcementLearner`` environment (``MyRLEnv``, its default reward)."""
    from freqtrade.freqai.prediction_models.ReinforcementLearner import ReinforcementLearner

    ohlc = pd.DataFrame({column: prices for column in ("open", "high", "low", "close")})
    return ReinforcementLearner.MyRLEnv(
        df=features,
        prices=ohlc,
        reward_kwargs={"rr": 1, "profit_aim": 0.025},
        window_size=1,
        config={
            "freqai": {"rl_config": {"model_reward_parameters": {"rr": 1, "profit_aim": 0.025}}},
            "stake_amount": "unlimited",
            "fee": FEE,
        },
        df_raw=features,
    )


def _net() -> dict[str, Any]:
    import torch as th

    return {"activation_fn": th.nn.ReLU, "net_arch": [64, 64]}


def training(repeats: int, which: str, candles: int, steps: int) -> dict[str, Any]:
    """PPO learning throughput (environment steps per second of ``model.learn``) and raw
    environment steps per second (random actions), MetaRL's ``ExposureEnv`` or the stock env."""
    from stable_baselines3 import PPO

    from meta_agent.rl.env import ExposureEnv

    features, prices = real_features(candles)

    def make() -> Any:
        if which == "metarl":
            return ExposureEnv(features.to_numpy(), prices, LEVELS, FEE)
        return _stock_env(features, prices)

    learn = timed(
        lambda: PPO("MlpPolicy", make(), policy_kwargs=_net(), **PPO_SETTINGS).learn(steps),
        repeats,
    )
    actions = len(LEVELS) if which == "metarl" else 5
    rng = np.random.default_rng(0)
    env_steps = len(features) - 2

    def walk() -> None:
        env = make()
        env.reset(seed=0)
        for action in rng.integers(0, actions, env_steps):
            env.step(int(action))

    raw = timed(walk, repeats)
    return {
        "seconds": learn,
        "learn_steps_per_s": [steps / s for s in learn],
        "env_steps_per_s": [env_steps / s for s in raw],
    }


def pooled_training(repeats: int, datadir: Path, steps: int) -> dict[str, Any]:
    """The portfolio engine's PPO throughput: one agent on the 13-coin daily panel, 16 coin
    episodes per batched policy call (:mod:`meta_agent.rl.portfolio`), one torch thread."""
    from meta_agent.data.universe import universe_pairs
    from meta_agent.rl.portfolio.agent import Scaler, TrainSettings, train_member
    from meta_agent.rl.portfolio.panel import build_panel

    panel = build_panel(Path(datadir) / "binance", universe_pairs("USDT"))
    rows = panel.rows(pd.Timestamp("2020-01-01", tz="UTC"), pd.Timestamp("2022-01-01", tz="UTC"))
    features = Scaler.fit(panel.features[rows])(panel.features[rows])
    settings = TrainSettings(steps=steps)
    seconds = timed(
        lambda: train_member(features, panel.close[rows], panel.weight[rows], settings, 0), repeats
    )
    return {"seconds": seconds, "learn_steps_per_s": [steps / s for s in seconds]}


def inference(repeats: int, which: str, candles: int, decisions: int) -> dict[str, Any]:
    """Per-candle decision time over ``candles`` and the p50/p99 of single live decisions
    (MetaRL: observation, risk mask, policy; with attribution: plus SHAP)."""
    from freqtrade.freqai.RL.BaseReinforcementLearningModel import BaseReinforcementLearningModel
    from stable_baselines3 import PPO

    from meta_agent.config import RiskConfig
    from meta_agent.rl.attribution import PolicyExplainer
    from meta_agent.rl.env import ExposureEnv, make_observation
    from meta_agent.rl.inference import PolicyRunner
    from meta_agent.rl.position import POSITION_FEATURES, PositionTracker
    from meta_agent.rl.risk import RiskView, risk_mask
    from meta_agent.rl.rollout import AgentState, rollout_decisions

    features, prices = real_features(candles)
    env = ExposureEnv(features.to_numpy(), prices, LEVELS, FEE)
    model = PPO("MlpPolicy", env, policy_kwargs=_net(), **PPO_SETTINGS)
    model.learn(2048)
    matrix = features.to_numpy(dtype=np.float32)
    result: dict[str, Any] = {}
    if which == "metarl":
        mask = np.ones(len(LEVELS), bool)
        result["seconds"] = timed(
            lambda: rollout_decisions(
                PolicyRunner(model), matrix, prices, LEVELS, mask, FEE, AgentState()
            ),
            repeats,
        )
        runner = PolicyRunner(model)
        risk, view = RiskConfig(), RiskView({"ETH/USD": 0.5}, slots=4)
        position = PositionTracker()
        single, explained = [], []
        rollout = rollout_decisions(runner, matrix, prices, LEVELS, mask, FEE, AgentState())
        background = rollout.observations[::40][:50]
        for t in range(decisions):
            start = time.perf_counter()
            position.mark(float(prices[t]))
            observation = make_observation(matrix[t], position.observation(float(prices[t])))
            live_mask = mask & risk_mask(LEVELS, "BTC/USD", view, risk)
            action, _ = runner.decide(observation, live_mask, None)
            single.append(time.perf_counter() - start)
            PolicyExplainer(model, background).explain(observation[None, :], np.array([action]))
            explained.append(time.perf_counter() - start)
        result["single_s"] = single
        result["single_with_attribution_s"] = explained
    else:
        stock_input = features.assign(**{f"pos_{n}": 0.0 for n in POSITION_FEATURES})
        stock_self = SimpleNamespace(CONV_WIDTH=1, live=False, rl_config={})
        kitchen = SimpleNamespace(label_list=["&-action"], pair="BTC/USD")
        wrapped = _WindowModel(model)
        result["seconds"] = timed(
            lambda: BaseReinforcementLearningModel.rl_model_predict(
                stock_self, stock_input, kitchen, wrapped
            ),
            repeats,
        )
        single = []
        for t in range(decisions):  # live: FreqAI predicts on the last CONV_WIDTH (1) rows
            row = stock_input.iloc[t : t + 1]
            start = time.perf_counter()
            BaseReinforcementLearningModel.rl_model_predict(stock_self, row, kitchen, wrapped)
            single.append(time.perf_counter() - start)
        result["single_s"] = single
    result["candles"] = len(features)
    return result


class _WindowModel:
    """Feeds the stock path's one-row window to a model with a flat observation space (FreqAI's
    environments declare ``(window, features)``; the PPO here was trained on flat rows)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, observation: pd.DataFrame, deterministic: bool) -> tuple[np.ndarray, None]:
        action, _ = self.model.predict(observation.to_numpy()[-1], deterministic=deterministic)
        return action, None


def ray_overhead(tasks: int) -> dict[str, Any]:
    """Ray's own cost: starting the local session, and a task that does nothing, run through
    :func:`meta_agent.rl.parallel.run_tasks` on every core."""
    from meta_agent.rl.parallel import Job, ray_session, run_tasks

    start = time.perf_counter()
    with ray_session() as slots:
        started = time.perf_counter() - start
        jobs = [Job(f"no-op {index}", (index,)) for index in range(tasks)]
        done: list[int] = []
        begin = time.perf_counter()
        # A builtin: nothing to import on the worker, nothing to compute.
        run_tasks(abs, jobs, slots, lambda job, result: done.append(result))
        per_task = (time.perf_counter() - begin) / tasks
    assert sorted(done) == list(range(tasks))
    return {"session_start_s": started, "per_task_s": per_task, "slots": slots}
