"""Conversations with a model: what is sent, what is stored, and when."""
