"""The observation contract a trained model is bound to, and the model-folder fingerprint.

A model only ever sees the columns it was trained on. The contract (source ids with versions,
feature names, position block, exposure levels) is stored with every model; loading a model
against a different contract is refused. The fingerprint of everything that shapes a model
(sources, levels, reward, algorithm, feature-set version) names its folder, so enabling or
removing a source trains new models instead of loading mismatched ones.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from meta_agent.errors import ObservationContractError
from meta_agent.rl.algorithms import DEFAULT_MODEL_TYPE
from meta_agent.rl.position import POSITION_FEATURES

#: Bump when the features computed in ``meta_agent.strategy.features`` change (names included).
#: 3: signal features carry the ``%%-`` prefix (returned to the strategy for FreqUI).
#: 4: the daily trend regime (``%-trend_regime`` on the 1d timeframe).
FEATURE_SET_VERSION = 4

#: ``meta_rl`` keys that change how a model is trained, hence its folder.
TRAINING_KEYS = (
    "decision_every",
    "base",
    "seeds",
    "validation_gate",
    "episode_length",
    "rebalance_threshold",
)


@dataclass(frozen=True)
class ObservationContract:
    """What a model was trained to observe, in order."""

    sources: tuple[str, ...]
    feature_names: tuple[str, ...]
    levels: tuple[float, ...]
    position_features: tuple[str, ...] = POSITION_FEATURES

    def to_dict(self) -> dict[str, Any]:
        return {key: list(value) for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ObservationContract:
        return cls(**{key: tuple(value) for key, value in data.items()})


CONTRACT_FIELDS = ("sources", "feature_names", "levels", "position_features")


def check_contract(
    saved: dict[str, Any] | None,
    current: ObservationContract,
    fields: tuple[str, ...] = CONTRACT_FIELDS,
) -> None:
    """Refuse a model whose stored contract differs from ``current`` in ``fields``; name every
    difference."""
    if saved is None:
        raise ObservationContractError(
            "The model has no stored observation contract (trained by another version?). "
            "Change `freqai.identifier` or delete the model folder to retrain."
        )
    stored = ObservationContract.from_dict(saved)
    differences = [
        f"{name}: model {getattr(stored, name)} != now {getattr(current, name)}"
        for name in fields
        if getattr(stored, name) != getattr(current, name)
    ]
    if differences:
        raise ObservationContractError(
            "Refusing to use a model trained on a different observation contract: "
            + "; ".join(differences)
        )


def fingerprint(config: dict[str, Any], sources: list[str], levels: tuple[float, ...]) -> str:
    """Short hash of everything that shapes a trained model."""
    rl_config = config.get("freqai", {}).get("rl_config", {})
    parts = {
        "sources": sources,
        "levels": list(levels),
        "feature_set": FEATURE_SET_VERSION,
        "position": list(POSITION_FEATURES),
        "model_type": rl_config.get("model_type", DEFAULT_MODEL_TYPE),
        "reward": rl_config.get("model_reward_parameters", {}),
        "timeframes": config.get("freqai", {})
        .get("feature_parameters", {})
        .get("include_timeframes", []),
        "training": {
            key: value
            for key, value in config.get("meta_rl", {}).items()
            if key in TRAINING_KEYS or key == "trend_regime"
        },
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:8]


def check_feature_inputs(trained_on: list[str], given: list[str], where: str) -> None:
    """Refuse features that differ from those a model's pipeline was fitted on (names and
    order), naming what is missing and what is new, before the pipeline fails on them."""
    if given == trained_on:
        return
    missing = [name for name in trained_on if name not in given]
    new = [name for name in given if name not in trained_on]

    def some(names: list[str]) -> str:
        return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")

    what = (
        f"missing {some(missing) or 'none'}; new {some(new) or 'none'}"
        if missing or new
        else "the same names in another order"
    )
    raise ObservationContractError(
        f"The model in {where} was fitted on {len(trained_on)} features; the strategy now "
        f"gives {len(given)} ({what}). Refusing a model trained on a different observation "
        "contract: change `freqai.identifier` or delete that folder to retrain."
    )
