"""The engine: runs a model in its own process and streams its replies back."""
