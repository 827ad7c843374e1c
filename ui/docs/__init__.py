"""The window's documents: attach, drop, collections, indexing progress, citations."""
