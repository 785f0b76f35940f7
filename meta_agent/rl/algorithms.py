"""The algorithms MetaRL trains, in one table: name -> class, policy, recurrent, maskable.

Like SB3's ``policy_aliases``, everything that needs to know about an algorithm reads it here:
the config check, model choice, inference, loading a saved model. The classes are imported on
first use, so reading the table (``meta_agent.config`` does) imports neither torch nor SB3.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple


class Algorithm(NamedTuple):
    """One supported algorithm: an actor-critic policy over a discrete action space."""

    module: str  # ``stable_baselines3`` or ``sb3_contrib`` (FreqAI's ``dd.model_type``)
    policy: str  # the policy name its constructor takes
    recurrent: bool  # carries an LSTM state between decisions
    maskable: bool  # reads action masks natively

    def load_class(self, name: str) -> type[Any]:
        """The class ``name`` in :attr:`module`."""
        return getattr(importlib.import_module(self.module), name)


ALGORITHMS: dict[str, Algorithm] = {
    "PPO": Algorithm("stable_baselines3", "MlpPolicy", recurrent=False, maskable=False),
    "A2C": Algorithm("stable_baselines3", "MlpPolicy", recurrent=False, maskable=False),
    "MaskablePPO": Algorithm("sb3_contrib", "MlpPolicy", recurrent=False, maskable=True),
    "RecurrentPPO": Algorithm("sb3_contrib", "MlpLstmPolicy", recurrent=True, maskable=False),
}
#: Model types MetaRL trains, in the table's order.
SUPPORTED_MODEL_TYPES: tuple[str, ...] = tuple(ALGORITHMS)
#: ``freqai.rl_config.model_type`` when the config names none.
DEFAULT_MODEL_TYPE = "PPO"


def algorithm(model_type: str) -> Algorithm:
    """The table's entry for ``model_type``."""
    try:
        return ALGORITHMS[model_type]
    except KeyError:
        raise ValueError(
            f"The model type must be one of {list(SUPPORTED_MODEL_TYPES)}. Got '{model_type}'."
        ) from None


def algorithm_class(model_type: str) -> type[Any]:
    """The SB3 / sb3-contrib class named ``model_type``."""
    return algorithm(model_type).load_class(model_type)


def policy_for(model_type: str) -> str:
    """The policy ``model_type`` is built with (``MlpLstmPolicy`` for RecurrentPPO)."""
    return algorithm(model_type).policy
