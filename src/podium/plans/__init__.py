"""The plan: its model, schema, checks, file globs and task graph (pure)."""
