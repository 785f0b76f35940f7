"""Signal sources: each says per candle which way it leans and how sure it is."""

from meta_agent.signals.context import SourceContext
from meta_agent.signals.contract import (
    SIGNAL_FIELDS,
    SignalSource,
    check_signal_frame,
    signal_columns,
    unavailable_frame,
)
from meta_agent.signals.registry import SourceSpec, list_sources, make, register, spec

# Importing the modules registers the built-in sources.
from meta_agent.signals import (  # noqa: F401  isort: skip
    derivatives as _derivatives,
    flows as _flows,
    news as _news,
    sentiment as _sentiment,
    technical as _technical,
    trend as _trend,
    wrapped as _wrapped,
)

__all__ = [
    "SIGNAL_FIELDS",
    "SignalSource",
    "SourceContext",
    "SourceSpec",
    "check_signal_frame",
    "list_sources",
    "make",
    "register",
    "signal_columns",
    "spec",
    "unavailable_frame",
]
