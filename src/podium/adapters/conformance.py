"""Moved to `podium.agents.conformance` (`python -m podium.agents.conformance NAME`)."""

import sys

from podium.agents.conformance import check_adapter, main, sample_job

__all__ = ["check_adapter", "main", "sample_job"]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
