"""The reinforcement-learning allocator: environment, sequential policy rollout, FreqAI model."""
