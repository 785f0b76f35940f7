"""``meta_rl.pooled``: the settings of the pooled agent, light enough for the config to import."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from meta_agent.data.universe import UNIVERSE


class PooledConfig(BaseModel):
    """``meta_rl.pooled``: the pooled agent of ``meta_rl.base: "book"``.

    Attributes:
        coins: Base currencies of the training universe (the panel), independent of the pairs
            traded; a coin without daily candles on the reference exchange is left out.
        quote: Their quote currency on the reference exchange.
        steps: PPO steps of experience per seed and window.
        turnover_penalty: Extra fee charged in the reward per unit of turnover beyond the book's.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    coins: list[str] = Field(default_factory=lambda: list(UNIVERSE), min_length=1)
    quote: str = "USDT"
    steps: int = Field(default=120_000, ge=1_000)
    turnover_penalty: float = Field(default=1.0, ge=0)
