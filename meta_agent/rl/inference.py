"""Deterministic, masked and stateful decisions from any supported SB3 actor-critic policy.

SB3's ``model.predict`` ignores action masks (except MaskablePPO) and, as FreqAI calls it, starts
RecurrentPPO from a zero LSTM state on every candle. Here the policy's action distribution is
read directly: forbidden levels get no probability, the most likely allowed level is taken (SB3's
deterministic choice), and the LSTM state is handed back to the caller to carry forward.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import torch as th
from sb3_contrib.common.recurrent.policies import RecurrentActorCriticPolicy
from stable_baselines3.common.torch_layers import FlattenExtractor

LSTMState = tuple[th.Tensor, th.Tensor]

_ACTIVATIONS: dict[type[th.nn.Module], Callable[[np.ndarray], np.ndarray]] = {
    th.nn.ReLU: lambda x: np.maximum(x, 0, out=x),
    th.nn.Tanh: lambda x: np.tanh(x, out=x),
    th.nn.Identity: lambda x: x,
}


def _numpy_actor(policy: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """The policy's actor (features -> action logits) as float32 NumPy, or None if its layers
    are not plain Linear layers and known activations. One candle through a 64x64 MLP costs
    a few microseconds this way instead of torch's per-call overhead."""
    if not isinstance(policy.pi_features_extractor, FlattenExtractor):
        return None
    layers: list[tuple[str, Any]] = []
    for module in [*policy.mlp_extractor.policy_net, policy.action_net]:
        if isinstance(module, th.nn.Linear):
            weight = module.weight.detach().numpy().astype(np.float32).T.copy()
            bias = module.bias.detach().numpy().astype(np.float32).copy()
            layers.append(("linear", (weight, bias)))
        elif type(module) in _ACTIVATIONS:
            layers.append(("activation", _ACTIVATIONS[type(module)]))
        else:
            return None

    def actor(observation: np.ndarray) -> np.ndarray:
        x = observation.astype(np.float32, copy=True)
        for kind, params in layers:
            if kind == "linear":
                weight, bias = params
                x = x @ weight + bias
            else:
                x = params(x)
        return x

    return actor


class Runner(Protocol):
    """Anything that decides one step at a time: one policy, or a seed ensemble."""

    def initial_state(self) -> Any: ...

    def decide(
        self, observation: np.ndarray, mask: np.ndarray, state: Any = None
    ) -> tuple[int, Any]: ...


class PolicyRunner:
    """Wraps a trained model's policy for one decision at a time.

    Args:
        model: A trained SB3 / sb3-contrib model of a type in
            :data:`meta_agent.rl.algorithms.ALGORITHMS`.
    """

    def __init__(self, model: Any) -> None:
        self.policy = model.policy
        self.policy.set_training_mode(False)
        self.recurrent = isinstance(self.policy, RecurrentActorCriticPolicy)
        self._numpy_actor = None if self.recurrent else _numpy_actor(self.policy)

    def initial_state(self) -> LSTMState | None:
        """The LSTM state before the first candle (zeros), or None for feed-forward policies."""
        if not self.recurrent:
            return None
        n_layers, _, hidden = self.policy.lstm_hidden_state_shape
        zeros = th.zeros((n_layers, 1, hidden), dtype=th.float32)
        return zeros, zeros.clone()

    def logits(
        self, observation: np.ndarray, state: LSTMState | None
    ) -> tuple[np.ndarray, LSTMState | None]:
        """Action logits for ``observation`` and the LSTM state after it."""
        if self._numpy_actor is not None:
            return self._numpy_actor(observation), state
        obs = th.as_tensor(observation, dtype=th.float32).reshape(1, -1)
        with th.no_grad():
            if self.recurrent:
                if state is None:
                    state = self.initial_state()
                assert state is not None
                start = th.zeros(1, dtype=th.float32)
                distribution, new_state = self.policy.get_distribution(obs, state, start)
                state = (new_state[0], new_state[1])
            else:
                distribution = self.policy.get_distribution(obs)
            logits = distribution.distribution.logits[0].numpy()
        return logits, state

    def decide(
        self, observation: np.ndarray, mask: np.ndarray, state: LSTMState | None = None
    ) -> tuple[int, LSTMState | None]:
        """The most likely allowed action, and the LSTM state to carry to the next candle."""
        logits, state = self.logits(observation, state)
        return int(np.argmax(np.where(mask, logits, -np.inf))), state


class EnsembleRunner:
    """Several policies decide together: the median of their chosen actions.

    Actions are ordered (levels, or adjustments of a base level), so the median is a member's
    choice for an odd number of members (the lower middle one for an even number). With
    ``fixed_action`` set (a validation gate that kept the base), that action is taken instead
    and the members are still run so their state stays current.
    """

    def __init__(self, models: list[Any], fixed_action: int | None = None) -> None:
        if not models:
            raise ValueError("EnsembleRunner needs at least one model; got none.")
        self.members = [PolicyRunner(model) for model in models]
        self.fixed_action = fixed_action

    def initial_state(self) -> list[LSTMState | None]:
        return [member.initial_state() for member in self.members]

    def decide(
        self, observation: np.ndarray, mask: np.ndarray, state: Any = None
    ) -> tuple[int, list[LSTMState | None]]:
        states = state if state is not None else self.initial_state()
        actions, new_states = [], []
        for member, member_state in zip(self.members, states, strict=True):
            action, new_state = member.decide(observation, mask, member_state)
            actions.append(action)
            new_states.append(new_state)
        if self.fixed_action is not None:  # the allowed action nearest to it
            allowed = np.flatnonzero(mask)
            return int(allowed[np.argmin(np.abs(allowed - self.fixed_action))]), new_states
        ordered = sorted(actions)
        return ordered[(len(ordered) - 1) // 2], new_states
