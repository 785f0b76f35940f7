"""The portfolio engine: a daily panel of the coin universe, a vectorised residual environment
on the trend book, pooled agents, the bootstrap gate and the design study (#22, #23)."""
