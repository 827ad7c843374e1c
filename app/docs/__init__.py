"""Chat with your documents: reading files, indexing passages, retrieval, citations."""
