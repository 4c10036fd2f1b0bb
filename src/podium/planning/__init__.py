"""Goal to plan: one agent call, its prompt, a map of the repository, a cost estimate."""
