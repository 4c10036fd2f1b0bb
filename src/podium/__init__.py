"""podium: conduct many CLI coding agents on one git repository, land only verified work."""

__version__ = "0.1.0"
