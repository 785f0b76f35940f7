"""The one-line message a MetaRL bot sends (Telegram, webhooks) when a target exposure changes."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from meta_agent.rl.attribution import decision_line
from meta_agent.rl.model import ATTRIBUTION_PREFIX

TARGET = "&-action"


def exposure_change_line(dataframe: pd.DataFrame, pair: str) -> str | None:
    """The line for the latest candle if its target differs from the previous one, else None."""
    if len(dataframe) < 2 or TARGET not in dataframe:
        return None
    old, new = (float(v) for v in dataframe[TARGET].iloc[-2:])
    if old == new:
        return None
    columns = [c for c in dataframe.columns if c.startswith(ATTRIBUTION_PREFIX)]
    if not columns:
        return f"MetaRL {pair}: exposure {old:g} → {new:g}"
    row = dataframe[columns].iloc[-1].rename(lambda c: c.removeprefix(ATTRIBUTION_PREFIX))
    return decision_line(pair, old, new, row.astype(float))


def notify_exposure_change(
    dataframe: pd.DataFrame, pair: str, send: Callable[[str], None]
) -> str | None:
    """Send the line through ``send`` (a strategy's ``dp.send_msg``) if the target changed."""
    line = exposure_change_line(dataframe, pair)
    if line is not None:
        send(line)
    return line
