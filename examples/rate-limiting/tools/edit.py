"""A stand-in for an agent: makes the change each goal of plan.yaml asks for, nothing else.

podium runs it as a `command` agent: `python tools/edit.py WORKTREE PROMPT_FILE`, in a fresh
worktree of the committed tree (so this file must be committed). To have a real agent do the
work, set `agent: claude` (or another) in plan.yaml and drop the `command:` lines.
"""

from __future__ import annotations

import sys
from pathlib import Path

MIDDLEWARE = '''"""Allow at most `limit` requests per client in each window of `window` seconds."""

import time


class RateLimiter:
    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self.seen: dict[str, list[float]] = {}

    def allow(self, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        recent = [t for t in self.seen.get(client, []) if now - t < self.window]
        self.seen[client] = recent
        if len(recent) >= self.limit:
            return False
        recent.append(now)
        return True
'''

DOCS = """# Rate limits

Each client may make `RATE_LIMIT_PER_MINUTE` requests a minute (see `src/app/settings.py`);
`app.middleware.ratelimit.RateLimiter` refuses the ones past it.
"""


def main(worktree: Path, prompt: str) -> int:
    if "Add rate limiting middleware" in prompt:
        package = worktree / "src/app/middleware"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text("")
        (package / "ratelimit.py").write_text(MIDDLEWARE)
        settings = worktree / "src/app/settings.py"
        settings.write_text(settings.read_text() + "RATE_LIMIT_PER_MINUTE = 60\n")
        print("added src/app/middleware/ratelimit.py and RATE_LIMIT_PER_MINUTE")
    elif "Document the rate limits" in prompt:
        (worktree / "docs").mkdir(exist_ok=True)
        (worktree / "docs/rate-limits.md").write_text(DOCS)
        print("wrote docs/rate-limits.md")
    else:
        print("edit.py: no change known for this goal", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]).read_text(encoding="utf-8")))
