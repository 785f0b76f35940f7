"""Seed ensembles and the validation gate: one trained agent per seed, used only if it earns it.

Each training window trains ``meta_rl.seeds`` agents that differ only in their seed; they
decide together (the median action, :class:`~meta_agent.rl.inference.EnsembleRunner`). With
``meta_rl.validation_gate`` the ensemble is scored on the validation slice at the end of the
training window (FreqAI's test split, never the traded window) against the base policy it
adjusts: if it does not beat the base's Sharpe net of fees there, the window trades the base
(FinRL's validation-gated ensembles; the log and the model's metadata say which was used).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from meta_agent.rl.inference import EnsembleRunner, PolicyRunner, Runner
from meta_agent.rl.position import equity_curve
from meta_agent.rl.rollout import AgentState, rollout
from meta_agent.rl.selection import sharpe

logger = logging.getLogger(__name__)

#: dk.data key holding ``{"members": n, "use_agent": bool, "follow_base": int | None, ...}``.
ENSEMBLE_KEY = "metarl_ensemble"


def member_path(path: Path | str, index: int) -> Path:
    """Where member ``index`` (> 0) is saved beside the first member's ``path``."""
    path = Path(path)
    stem = path.name.removesuffix(".zip")
    return path.with_name(f"{stem}_member{index}.zip")


@dataclass
class SeedEnsemble:
    """Agents trained with different seeds, and whether the gate let them trade.

    Attributes:
        members: Trained SB3 / sb3-contrib models (the first is saved where FreqAI expects
            its model; the others beside it, see :func:`member_path`).
        use_agent: False when the validation gate kept the base policy.
        follow_base: The action that follows the base (residual actions), if any.
        scores: Validation Sharpe of the ensemble and of the base (when gated).
    """

    members: list[Any]
    use_agent: bool = True
    follow_base: int | None = None
    scores: dict[str, float] = field(default_factory=dict)
    model_types: list[str] | None = None  # per member, when model selection chose them

    @property
    def policy(self) -> Any:
        """The first member's policy (for code that inspects ``model.policy``)."""
        return self.members[0].policy

    def runner(self) -> EnsembleRunner:
        fixed = None if self.use_agent or self.follow_base is None else self.follow_base
        return EnsembleRunner(self.members, fixed_action=fixed)

    def save(self, path: Path | str) -> None:
        """FreqAI calls ``model.save(<model_filename>_model.zip)``."""
        self.members[0].save(path)
        for index, member in enumerate(self.members[1:], start=1):
            member.save(member_path(path, index))

    def metadata(self) -> dict[str, Any]:
        return {
            "members": len(self.members),
            "use_agent": self.use_agent,
            "follow_base": self.follow_base,
            "scores": self.scores,
            "model_types": self.model_types,
        }

    @classmethod
    def load(
        cls, first: Any, path: Path | str, info: dict[str, Any], model_classes: list[Any]
    ) -> SeedEnsemble:
        """The ensemble saved at ``path`` whose first member FreqAI already loaded;
        ``model_classes`` holds each member's algorithm class."""
        members = [first]
        for index in range(1, int(info["members"])):
            location = member_path(path, index)
            if not location.is_file():
                raise FileNotFoundError(
                    f"Ensemble member {index} of {info['members']} is missing: {location}"
                )
            try:
                members.append(model_classes[index].load(location))
            except Exception as err:
                raise ValueError(
                    f"ensemble member {index} ({location}) is unreadable: "
                    f"{type(err).__name__}: {err}"
                ) from err
        return cls(
            members,
            bool(info["use_agent"]),
            info.get("follow_base"),
            info.get("scores", {}),
            info.get("model_types"),
        )


def runner_for(model: Any) -> Runner:
    """The step-by-step decider of a trained model or ensemble."""
    if isinstance(model, SeedEnsemble):
        return model.runner()
    return PolicyRunner(model)


def member_models(model: Any) -> list[Any]:
    return list(model.members) if isinstance(model, SeedEnsemble) else [model]


def gate(
    ensemble: SeedEnsemble,
    features: np.ndarray,
    prices: np.ndarray,
    levels: np.ndarray,
    mask: np.ndarray,
    fee: float,
    base: np.ndarray,
    band: float,
    label: str = "",
) -> SeedEnsemble:
    """Score the ensemble and the base on the validation slice; keep the agent only if it
    earns a higher Sharpe net of fees. Returns ``ensemble`` with ``use_agent`` and ``scores``
    set."""
    if ensemble.follow_base is None:
        raise ValueError("The validation gate needs a base policy (`meta_rl.base`).")
    scores = {}
    for name, fixed in (("agent", None), ("base", ensemble.follow_base)):
        runner = EnsembleRunner(ensemble.members, fixed_action=fixed)
        exposures = rollout(
            runner, features, prices, levels, mask, fee, AgentState(), base=base, band=band
        )
        scores[name] = sharpe(equity_curve(exposures, prices, fee))
    ensemble.scores = scores
    ensemble.use_agent = scores["agent"] > scores["base"]
    logger.info(
        "Validation gate %s (%d steps): Sharpe agent %.4f, base %.4f: trading the %s.",
        label,
        len(prices),
        scores["agent"],
        scores["base"],
        "agent" if ensemble.use_agent else "base",
    )
    return ensemble
