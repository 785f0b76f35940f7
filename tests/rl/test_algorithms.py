"""The one algorithm table: every entry builds the class it names with its policy."""

from __future__ import annotations

import pytest

from meta_agent.rl.algorithms import ALGORITHMS, algorithm, algorithm_class, policy_for


@pytest.mark.parametrize("name", list(ALGORITHMS))
def test_every_entry_names_a_class_of_its_module(name: str) -> None:
    entry = algorithm(name)
    cls = algorithm_class(name)
    assert cls.__name__ == name and cls.__module__.startswith(entry.module)
    assert policy_for(name) in cls.policy_aliases
    assert entry.recurrent == (name == "RecurrentPPO")


def test_an_unknown_name_lists_the_supported_ones() -> None:
    with pytest.raises(ValueError, match="must be one of \\['PPO', 'A2C'"):
        algorithm("DQN")
