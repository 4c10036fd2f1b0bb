"""Goal to plan: one agent call, its prompt, a map of the repository, a cost estimate."""

DEFAULT_AGENT = "claude"  # the agent that plans when none is named
