"""Moved to `podium.agents.base`; this re-export keeps third-party adapters loading."""

from podium.agents.base import Adapter, AgentEvent, Availability, Job, Launch, Verdict

__all__ = ["Adapter", "AgentEvent", "Availability", "Job", "Launch", "Verdict"]
