"""MetaRLModel: the FreqAI reinforcement-learning allocator (logic in ``meta_agent.rl.model``)."""

from meta_agent.rl.model import MetaRLModelBase


class MetaRLModel(MetaRLModelBase):
    """Chooses the target exposure from every signal source; see ``MetaRLModelBase``."""
