"""Tools the model may call: the tool type, the registry, the built-in tools, and the
grammar that makes a call well-formed."""
