"""Contrarian on the perpetual-spot basis of the reference venue.

Source ``basis-v1`` as a standalone strategy.
"""

from meta_agent.strategy.standalone import SourceStrategy


class PerpBasis(SourceStrategy):
    source_id = "basis-v1"
