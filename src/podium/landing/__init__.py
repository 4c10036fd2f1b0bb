"""From a finished attempt to the target: janitor, gates, merge, merge queue."""
