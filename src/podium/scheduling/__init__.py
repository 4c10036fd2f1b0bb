"""What may start now: the pure scheduler, admission, quotas, task states."""
