"""Optional model choice per training window, after FinRL's ensemble strategy.

Each candidate algorithm trains on the first part of the training window; the one whose
decisions earn the best Sharpe ratio on the rest of that window (the validation slice, never
the backtest window) is kept.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from meta_agent.rl.algorithms import algorithm_class, policy_for
from meta_agent.rl.env import ExposureEnv
from meta_agent.rl.inference import PolicyRunner
from meta_agent.rl.position import equity_curve
from meta_agent.rl.rollout import AgentState, rollout

logger = logging.getLogger(__name__)


def without_log_folder(model: Any) -> Any:
    """``model``, writing its training log nowhere: SB3's default logger creates a folder in
    the temp directory (``SB3-<time>``) on every ``learn``, even when it writes nothing."""
    from stable_baselines3.common.logger import Logger

    model.set_logger(Logger(folder=None, output_formats=[]))
    return model


def accepted(algorithm: type[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``kwargs`` that ``algorithm``'s constructor accepts."""
    parameters = inspect.signature(algorithm.__init__).parameters
    dropped = sorted(set(kwargs) - set(parameters))
    if dropped:
        logger.info("%s does not take %s; left out for it.", algorithm.__name__, dropped)
    return {key: value for key, value in kwargs.items() if key in parameters}


def sharpe(equity: np.ndarray) -> float:
    """Per-candle Sharpe ratio of an equity curve (mean / std of log returns; 0 if flat)."""
    returns = np.diff(np.log(equity))
    spread = returns.std()
    return float(returns.mean() / spread) if spread > 0 else 0.0


@dataclass(frozen=True)
class Selection:
    """The kept model, its algorithm and every candidate's validation Sharpe."""

    model: Any
    model_type: str
    scores: dict[str, float]


def select_model(
    candidates: list[str],
    env: ExposureEnv,
    validation_fraction: float,
    train_cycles: float,
    algorithm_kwargs: dict[str, Any],
) -> Selection:
    """Train every candidate on the head of ``env``'s data, keep the best on its tail.

    Ties keep the earlier candidate. ``algorithm_kwargs`` (``model_training_parameters``) go to
    every algorithm that accepts them; A2C, for one, has no ``batch_size``.
    """
    split = int(len(env.prices) * (1 - validation_fraction))
    if split < 2 or len(env.prices) - split < 2:
        raise ValueError(
            f"The 'validation_fraction' {validation_fraction} leaves too few candles on one side "
            f"of a {len(env.prices)}-candle training window."
        )
    head = ExposureEnv(
        env.features[:split],
        env.prices[:split],
        env.levels,
        env.fee,
        env.reward_config,
        env.mask,
        base=None if env.base is None else env.base[:split],
        band=env.band,
        episode_length=env.episode_length,
    )
    features, prices = env.features[split:], env.prices[split:]
    tail_base = None if env.base is None else env.base[split:]
    models: dict[str, Any] = {}
    scores: dict[str, float] = {}
    for model_type in candidates:
        algorithm = algorithm_class(model_type)
        model = algorithm(policy_for(model_type), head, **accepted(algorithm, algorithm_kwargs))
        without_log_folder(model).learn(total_timesteps=int(train_cycles * split))
        exposures = rollout(
            PolicyRunner(model),
            features,
            prices,
            env.levels,
            env.mask,
            env.fee,
            AgentState(),
            base=tail_base,
            band=env.band,
        )
        models[model_type] = model
        scores[model_type] = sharpe(equity_curve(exposures, prices, env.fee))
    best = max(candidates, key=lambda name: scores[name])
    logger.info(
        "Model choice on the validation slice (%d candles): Sharpe %s; keeping %s.",
        len(prices),
        {name: round(score, 4) for name, score in scores.items()},
        best,
    )
    return Selection(models[best], best, scores)
