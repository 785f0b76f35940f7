"""SHAP attribution of each allocation decision to the sources that drove it.

The explained output is the logit of the action the agent chose. Feed-forward policies (PPO,
A2C, MaskablePPO) are explained with ``shap.DeepExplainer`` (DeepLIFT rescale rules; the values
plus the expected value add up to the logit). RecurrentPPO is explained with
``shap.GradientExplainer`` (expected gradients) with its LSTM state held fixed at the state
before the decision; there the additivity is approximate. The background is a sample of
observations from the model's own training window, stored with the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shap
import torch as th
from sb3_contrib.common.recurrent.policies import RecurrentActorCriticPolicy

from meta_agent.columns import CONTEXT, POSITION, source_of
from meta_agent.rl.ensemble import member_models, runner_for
from meta_agent.rl.env import ExposureEnv
from meta_agent.rl.inference import LSTMState
from meta_agent.rl.position import POSITION_FEATURES
from meta_agent.rl.rollout import AgentState, Decisions, rollout_decisions


class ActorLogits(th.nn.Module):
    """Observation -> action logits of a feed-forward SB3 actor-critic policy."""

    def __init__(self, policy: Any) -> None:
        super().__init__()
        self.extractor = policy.pi_features_extractor
        self.actor = policy.mlp_extractor.policy_net
        self.head = policy.action_net

    def forward(self, observation: th.Tensor) -> th.Tensor:
        return self.head(self.actor(self.extractor(observation)))


class RecurrentActorLogits(th.nn.Module):
    """Observation -> action logits of a RecurrentPPO policy, its LSTM state held fixed."""

    def __init__(self, policy: Any, state: LSTMState) -> None:
        super().__init__()
        self.policy = policy
        self.state = state

    def forward(self, observation: th.Tensor) -> th.Tensor:
        batch = observation.shape[0]
        state = (self.state[0].expand(-1, batch, -1), self.state[1].expand(-1, batch, -1))
        starts = th.zeros(batch)
        distribution, _ = self.policy.get_distribution(observation, state, starts)
        return distribution.distribution.logits


@dataclass(frozen=True)
class Attribution:
    """Per decision: SHAP values of the chosen action's logit, the expected value, the logit."""

    values: np.ndarray  # (n, features)
    expected: np.ndarray  # (n,)
    logits: np.ndarray  # (n,)


class PolicyExplainer:
    """Explains decisions of one trained model against its stored background.

    Args:
        model: Trained SB3 / sb3-contrib model.
        background: ``(k, features)`` observations sampled from the training window.
        lstm_state: RecurrentPPO only: the LSTM state to hold fixed.
    """

    def __init__(
        self, model: Any, background: np.ndarray, lstm_state: LSTMState | None = None
    ) -> None:
        policy = model.policy
        policy.set_training_mode(False)
        data = th.as_tensor(np.asarray(background, dtype=np.float32))
        self.recurrent = isinstance(policy, RecurrentActorCriticPolicy)
        if self.recurrent:
            if lstm_state is None:
                n_layers, _, hidden = policy.lstm_hidden_state_shape
                zeros = th.zeros((n_layers, 1, hidden))
                lstm_state = (zeros, zeros.clone())
            self.network: th.nn.Module = RecurrentActorLogits(policy, lstm_state)
            self.explainer: Any = shap.GradientExplainer(self.network, data)
        else:
            self.network = ActorLogits(policy).eval()
            self.explainer = shap.DeepExplainer(self.network, data)
        with th.no_grad():
            self.expected = self.network(data).mean(dim=0).numpy()

    def explain(self, observations: np.ndarray, actions: np.ndarray) -> Attribution:
        """Attribution of each row's chosen action (batched, as backtests need it)."""
        x = th.as_tensor(np.asarray(observations, dtype=np.float32))
        if self.recurrent:
            values = np.asarray(self.explainer.shap_values(x))
        else:
            values = np.asarray(self.explainer.shap_values(x, check_additivity=False))
        rows = np.arange(len(actions))
        actions = np.asarray(actions, dtype=int)
        with th.no_grad():
            logits = self.network(x).numpy()[rows, actions]
        return Attribution(values[rows, :, actions], self.expected[actions], logits)


def feature_groups(feature_names: list[str], source_ids: list[str]) -> dict[str, list[int]]:
    """Observation column indices per source (score, confidence, availability), the rest of the
    market context, and the position block (always the last columns)."""
    groups: dict[str, list[int]] = {source: [] for source in source_ids}
    groups[CONTEXT] = []
    for index, name in enumerate(feature_names):
        source = source_of(name)
        groups[source if source in source_ids else CONTEXT].append(index)
    start = len(feature_names)
    groups[POSITION] = list(range(start, start + len(POSITION_FEATURES)))
    return groups


def grouped(values: np.ndarray, groups: dict[str, list[int]]) -> pd.DataFrame:
    """Sum of the SHAP values of each group's columns (attributions are additive)."""
    return pd.DataFrame(
        {name: values[:, index].sum(axis=1) if index else 0.0 for name, index in groups.items()}
    )


def global_importance(frame: pd.DataFrame) -> dict[str, float]:
    """Mean absolute attribution per group, as shares summing to 1."""
    mean_abs = frame.abs().mean()
    total = float(mean_abs.sum())
    return {name: float(v / total) if total > 0 else 0.0 for name, v in mean_abs.items()}


def member_mean_values(
    model: Any,
    background: np.ndarray,
    observations: np.ndarray,
    actions: np.ndarray,
    lstm_start: Any = None,
) -> np.ndarray:
    """SHAP values of each row's action, averaged over a seed ensemble's members (one model:
    its own). ``lstm_start``: one LSTM state per member (a list), or one for all."""
    members = member_models(model)
    starts = lstm_start if isinstance(lstm_start, list) else [lstm_start] * len(members)
    return np.mean(
        [
            PolicyExplainer(member, background, start).explain(observations, actions).values
            for member, start in zip(members, starts, strict=True)
        ],
        axis=0,
    )


def training_background(
    model: Any, env: ExposureEnv, feature_names: list[str], sources: list[str], size: int
) -> tuple[np.ndarray, dict[str, float]]:
    """A sample of the training window's observations as the trained agent sees them (the
    SHAP background stored with the model), and the model's global importance per group."""
    decisions = rollout_decisions(
        runner_for(model),
        env.features,
        env.prices,
        env.levels,
        env.mask,
        env.fee,
        AgentState(),
        base=env.base,
        band=env.band,
    )
    rows = np.linspace(0, len(decisions.actions) - 1, min(size, len(decisions.actions)))
    rows = rows.astype(int)
    background = decisions.observations[rows]
    values = member_mean_values(model, background, background, decisions.actions[rows])
    importance = global_importance(grouped(values, feature_groups(feature_names, sources)))
    return background, importance


def explain_decisions(
    model: Any,
    background: np.ndarray,
    decisions: Decisions,
    feature_names: list[str],
    sources: list[str],
) -> pd.DataFrame:
    """Grouped attribution of every decision of a rollout, in one batch. A seed ensemble's
    decision is explained as the mean of its members' attributions of the action taken."""
    values = member_mean_values(
        model, background, decisions.observations, decisions.actions, decisions.lstm_start
    )
    return grouped(values, feature_groups(feature_names, sources))
