"""Local models: the starter model, files on disk, GGUF headers and fit estimates."""
