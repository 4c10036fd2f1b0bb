"""Agent CLIs: the adapter seam, one module per CLI, the process runner, the prompt."""
