"""PolicyRunner: the NumPy actor reproduces the torch policy's logits."""

from __future__ import annotations

import numpy as np
import pytest
import torch as th

from meta_agent.rl.inference import PolicyRunner
from tests.rl.test_rollout import briefly_trained


@pytest.mark.parametrize("name", ["PPO", "A2C", "MaskablePPO"])
def test_numpy_actor_matches_torch_logits(name: str) -> None:
    runner = PolicyRunner(briefly_trained(name))
    assert runner._numpy_actor is not None
    observations = np.random.default_rng(0).uniform(-1, 1, (50, 6)).astype(np.float32)
    for observation in observations:
        ours, _ = runner.logits(observation, None)
        with th.no_grad():
            obs = th.as_tensor(observation).reshape(1, -1)
            torch_logits = runner.policy.get_distribution(obs).distribution.logits[0].numpy()
        # Logits are compared after normalisation, as torch's Categorical stores them.
        ours = ours - np.log(np.exp(ours - ours.max()).sum()) - ours.max()
        np.testing.assert_allclose(ours, torch_logits, atol=1e-5)


def test_recurrent_policy_keeps_the_torch_path() -> None:
    assert PolicyRunner(briefly_trained("RecurrentPPO"))._numpy_actor is None
