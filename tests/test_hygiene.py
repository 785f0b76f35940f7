"""Tests clean up after themselves: nothing is left in the system temp directory."""

from __future__ import annotations

from pathlib import Path

from stable_baselines3 import PPO
from stable_baselines3.common.envs import IdentityEnv


def test_a_training_logs_into_the_sessions_folder_not_the_temp_dir(sb3_log_folder: Path) -> None:
    model = PPO("MlpPolicy", IdentityEnv(2), n_steps=8, batch_size=8, n_epochs=1, verbose=0)
    model.learn(total_timesteps=8)
    folder = Path(model.logger.get_dir() or "").resolve()
    assert folder == sb3_log_folder.resolve()
    assert not folder.name.startswith("SB3-")
