"""Hearth's core: models, engine, storage and the command line. Imports no Qt."""

__version__ = "0.1.0"
