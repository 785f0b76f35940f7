"""Every column and file name of MetaRL's contract, in one place.

The strategy, the FreqAI model, attribution, plots and notifications agree on these names; each
imports them from here, so reading a name never imports the model (torch, shap, FreqAI).

- ``<source>__<field>``: a source's signal in a combined frame (fields :data:`SIGNAL_FIELDS`).
- ``%-<source>__<field>``: the same as a FreqAI feature; ``%%-`` also comes back to the strategy.
- ``&-action``: the target exposure level the agent chose (FreqAI's label column).
- ``%%-attr_<group>``: the decision's attribution to a source, the context or the position.
"""

from __future__ import annotations

#: The three columns of a source's signal frame (DESIGN.md, signal frame contract).
SIGNAL_FIELDS: tuple[str, str, str] = ("score", "confidence", "available")
#: Between a source id and its field in a combined frame.
SEPARATOR = "__"

#: FreqAI features: columns with this prefix are model inputs.
FEATURE_PREFIX = "%-"
#: MetaRL's signal features carry this prefix: FreqAI returns ``%%`` columns to the strategy.
SIGNAL_PREFIX = "%%-"
#: The target exposure level per candle, FreqAI's label and the model's prediction.
TARGET = "&-action"
#: FreqAI's column: 1 where the model's prediction may be used.
VALID = "do_predict"
#: One column per attribution group, returned to the strategy (FreqUI, Telegram).
ATTRIBUTION_PREFIX = "%%-attr_"
#: The attribution groups besides the sources: the market context and the position block.
CONTEXT = "context"
POSITION = "position"
#: A trained model's mean absolute attribution per group, in its ``sub-train-*`` folder.
GLOBAL_FILE = "attribution_global.json"


def signal_column(source_id: str, field: str, prefix: str = "") -> str:
    """``<prefix><source_id>__<field>``, e.g. ``%-trend-v1__score``."""
    return f"{prefix}{source_id}{SEPARATOR}{field}"


def signal_columns(source_id: str, prefix: str = "") -> list[str]:
    """A source's three columns in a combined signal frame: ``<id>__score`` and so on."""
    return [signal_column(source_id, field, prefix) for field in SIGNAL_FIELDS]


def source_of(column: str) -> str | None:
    """The source id of a signal column (any ``%`` prefix, any suffix after the field), or
    None for a column that is not a source's."""
    name = column.lstrip("%").removeprefix("-")
    source, separator, _ = name.partition(SEPARATOR)
    return source if separator and source else None


def attribution_column(group: str) -> str:
    """``%%-attr_<group>``: a source id, :data:`CONTEXT` or :data:`POSITION`."""
    return f"{ATTRIBUTION_PREFIX}{group}"
