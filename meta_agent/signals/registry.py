"""Registry of signal sources with versioned ids (after Gymnasium's ``register``/``make``)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from meta_agent.errors import UnknownSourceError
from meta_agent.signals.context import SourceContext
from meta_agent.signals.contract import SignalSource


@dataclass(frozen=True)
class SourceSpec:
    """What the registry knows about one source: its versioned id, class and family."""

    source_id: str
    source_class: type[SignalSource]
    family: str
    description: str


_REGISTRY: dict[str, SourceSpec] = {}


def register(source_class: type[SignalSource], *, family: str, description: str) -> None:
    """Register ``source_class`` under ``<name>-v<version>``; a second registration raises."""
    source_id = f"{source_class.name}-v{source_class.version}"
    if source_id in _REGISTRY:
        raise ValueError(f"Signal source '{source_id}' is already registered.")
    _REGISTRY[source_id] = SourceSpec(source_id, source_class, family, description)


def spec(source_id: str) -> SourceSpec:
    """The spec of ``source_id``; an unknown id raises with the closest registered ids."""
    try:
        return _REGISTRY[source_id]
    except KeyError:
        close = difflib.get_close_matches(source_id, _REGISTRY, n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownSourceError(
            f"No signal source '{source_id}' is registered.{hint} "
            f"Registered: {', '.join(sorted(_REGISTRY))}."
        ) from None


def make(source_id: str, context: SourceContext | None = None, **params: Any) -> SignalSource:
    """Instantiate the source registered as ``source_id`` with ``params``.

    Sources that read more than candles (``needs_context``) get ``context``; it is required
    for them and ignored by the others.
    """
    source_class = spec(source_id).source_class
    if not source_class.needs_context:
        return source_class(**params)
    if context is None:
        raise ValueError(
            f"Signal source '{source_id}' reads external data: pass a SourceContext "
            "(pair, timeframe, feed)."
        )
    return source_class(context=context, **params)  # type: ignore[call-arg]


def list_sources() -> list[SourceSpec]:
    """All registered sources, sorted by id."""
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]
