"""A run over time: the engine loop, attempts, resume, worktrees, the reaper."""
