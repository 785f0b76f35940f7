"""MetaRL: many trading signal sources under one reinforcement-learning allocator for Freqtrade."""

__version__ = "0.1.0"
