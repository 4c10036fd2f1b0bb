"""What differs between the agent CLIs, one row each; `test_agents.py` runs every row.

A new adapter adds a row here, not a test file. Each field says what the CLI does when podium
drives it against the scripted server: what an edit costs, how a 429 shows, how its faults
end, and which settings keep its own retries short.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FEATURE = "def feature() -> int:\n    return 42\n"
WRITE = {"write_file": {"path": "src/feature.py", "content": FEATURE}}
E500 = {"error": 500}
WALL_TIMEOUT = "agent killed: wall-clock timeout"


@dataclass(frozen=True)
class TooMany:
    """A 429 from the scripted server."""

    retry_after: int = 1
    message: str = "Slow down"
    headers: dict[str, str] = field(default_factory=dict)
    usage_limit: bool = False  # Codex's plan limit: the body names the reset ("resets_at")

    def reply(self, reset: int) -> dict[str, Any]:
        """The scripted reply; `reset` (epoch seconds) is what a usage-limit body names."""
        if self.usage_limit:
            body = {"type": "usage_limit_reached", "message": "limit", "resets_at": reset}
            return {"error": {"status": 429, "body": {"error": body}}}
        error = {"status": 429, "retry_after": self.retry_after, "message": self.message}
        return {"error": {**error, "headers": self.headers} if self.headers else error}


@dataclass(frozen=True)
class Ending:
    """How a failed task ends. `reason` is an fnmatch pattern (`*` for any text)."""

    reason: str
    requests: tuple[int, int | None] | None = None  # least..most the server saw (None: no bound)
    outcome: str | None = None  # its first attempt's outcome
    exit_code: int | None = None  # its first attempt's exit status


@dataclass(frozen=True)
class Fault:
    """A task whose model always answers `reply`, and how it ends."""

    id: str
    reply: dict[str, Any]
    ends: Ending


@dataclass(frozen=True)
class Passes:
    """A 429 that passes after `times` answers."""

    times: int
    inside: bool  # the CLI retries it within the attempt; else the attempt ends and podium waits
    exit_code: int | None = None  # (not inside) the rate-limited attempt's exit status


@dataclass(frozen=True)
class RateLimit:
    """How the CLI shows a 429 to podium, and what podium records of it."""

    sent: TooMany
    reset: Literal["retry-after", "headers", "body", "none"]  # where the recorded reset is from
    passes: Passes | None = None  # a 429 that passes
    lasting: Ending | None = None  # a 429 that never passes (in the faults run)
    recorded: bool = True  # False: the CLI says nothing of it, podium records no event
    text: str = ""  # what each recorded event's text holds
    reset_in: float = 0  # (headers) seconds from the 429 to the reset its headers name
    lasting_events: tuple[int, int | None] | None = None  # events a lasting 429 records


@dataclass(frozen=True)
class Faults:
    """One run whose tasks all fail, side by side: a 500, the row's other faults, and a
    lasting 429 if the row has one."""

    broken: Ending  # how a task ends whose model answers `sent500`
    wall: float = 120
    sent500: dict[str, Any] = field(default_factory=lambda: E500)
    more: tuple[Fault, ...] = ()


@dataclass(frozen=True)
class Down:
    """How an attempt ends when the endpoint is down (nothing listens on its port)."""

    ends: Ending
    wall: float = 120


@dataclass(frozen=True)
class Agent:
    """One agent CLI as the end-to-end tests drive it."""

    name: str
    model: str  # the model the attempt records and the requests name
    price: tuple[float, float]  # $ per million input / output tokens the attempt is charged
    prices_itself: bool  # the CLI reports the cost (compared loosely), else podium prices it
    tool: str  # the server's record of the first edit reply ("tool:Write", or "text")
    edit_requests: int | None  # requests an edit takes, None where it is not fixed
    rate_limit: RateLimit
    faults: Faults
    down: Down
    silence: float  # the silence timeout, above its quiet start-up (how long a run takes is
    # a benchmark's business, not a test's: bench/kills.py)
    version: str  # the pinned version `available` reports
    key_vars: tuple[str, ...]  # the environment it takes a key from
    streams: bool = True  # its requests ask for a stream
    quiet: str = ""  # [agents.<name>] lines for fault runs: its own retries cut short
    repo: dict[str, str] = field(default_factory=dict)  # repository files for fault runs
    base_path: str = ""  # appended to a base_url that points elsewhere (the closed port)
    litter: str = ""  # a glob nothing in the repository may match after an edit
    error_reports: str = ""  # a glob for the report it writes on an API error (in its HOME)
    unauthenticated: str = ""  # `available`'s why with no key, if not the usual one

    def why_unauthenticated(self) -> str:
        usual = f"set {self.key_vars[0]} or [agents.{self.name}] api_key_env"
        return "not authenticated: " + (self.unauthenticated or usual)


AGENTS = (
    Agent(
        name="aider",
        model="gpt-5.5",
        price=(1.25, 10),  # the metadata podium gives it
        prices_itself=True,
        tool="text",  # no tools: one answer with the SEARCH/REPLACE block
        edit_requests=1,
        streams=False,  # --no-stream: its counts are the API's own
        # litellm retries twice without a word, so the third 429 is the first aider reports;
        # its message names no reset time. It retries 429 and 5xx for ~90 s: the wall ends them.
        rate_limit=RateLimit(
            sent=TooMany(message="Rate limit reached"),
            reset="none",
            text="RateLimitError",
            passes=Passes(times=3, inside=True),
            lasting=Ending(WALL_TIMEOUT),
            lasting_events=(3, None),
        ),
        faults=Faults(
            broken=Ending(WALL_TIMEOUT),
            # A 400 ends aider at once, with exit status 0.
            more=(
                Fault(
                    "refused",
                    {"error": {"status": 400, "message": "bad request body"}},
                    Ending("aider: litellm.BadRequestError:*bad request body*", exit_code=0),
                ),
            ),
            wall=30,
        ),
        down=Down(Ending(WALL_TIMEOUT), wall=15),
        silence=10,  # it imports litellm for ~4 s before a word
        version="0.86.2",
        key_vars=("OPENAI_API_KEY",),
        litter=".aider*",  # chat history and caches stay in its HOME
    ),
    Agent(
        name="claude",
        model="claude-sonnet-4-5",
        price=(3, 15),  # Claude Code's own table
        prices_itself=True,
        tool="tool:Write",
        edit_requests=2,  # the Write call, then the final text; no side requests
        # It retries after the retry-after and announces it: the reset time podium records.
        rate_limit=RateLimit(
            sent=TooMany(retry_after=2),
            reset="retry-after",
            passes=Passes(times=1, inside=True),
            lasting=Ending("claude: rate limited until *", (2, 2), outcome="rate_limited"),
        ),
        faults=Faults(
            broken=Ending(
                "claude: API error 500: Internal Server Error (scripted error 500).",
                (2, 2),
                exit_code=1,
            ),
        ),
        down=Down(Ending("*Unable to connect to API*")),
        silence=5,
        version="2.1.197",
        key_vars=("ANTHROPIC_API_KEY",),
        quiet='env = { CLAUDE_CODE_MAX_RETRIES = "1" }\n',
    ),
    Agent(
        name="codex",
        model="gpt-5.5",
        price=(1.25, 10),  # it reports no cost: podium's table
        prices_itself=False,
        tool="tool:apply_patch",  # gpt-5.5 is a slug Codex knows
        edit_requests=None,
        # A usage limit ends it at once, the reset named to the minute ("try again at 9:06 AM").
        # A plain 429 names no reset (Codex drops the headers): see the unit tests.
        rate_limit=RateLimit(
            sent=TooMany(usage_limit=True),
            reset="body",
            passes=Passes(times=1, inside=False),
        ),
        faults=Faults(
            # Its own words on a 5xx: the server's message and status are not shown.
            broken=Ending(
                "codex: We’re currently experiencing high demand,"
                " which may cause temporary errors.",
                (2, 4),  # request and stream retries, one each
            ),
        ),
        # It never gives up on a dead endpoint ("Reconnecting... waiting for network").
        down=Down(Ending("*wall-clock timeout*"), wall=15),
        silence=5,
        version="0.169.0",
        key_vars=("OPENAI_API_KEY",),
        quiet=(
            'args = ["-c", "model_providers.podium.request_max_retries=1",'
            ' "-c", "model_providers.podium.stream_max_retries=1"]\n'
        ),
        base_path="/v1",
    ),
    Agent(
        name="copilot",
        model="gpt-4.1",
        price=(2, 8),  # BYOK records say cost 0: podium prices the tokens
        prices_itself=False,
        tool="tool:create",
        edit_requests=2,  # tokens from its session log through the relay, not its JSON
        # It retries 5 times (obeying the retry-after; a 500 backs off ~16 s in all) and does
        # not show the 429's headers: no reset time.
        rate_limit=RateLimit(
            sent=TooMany(),
            reset="none",
            text="429",
            lasting=Ending(
                "copilot: rate limited: *API error 429: Slow down (after 5 retries)", (6, 6)
            ),
            lasting_events=(1, 1),
        ),
        faults=Faults(
            broken=Ending(
                "copilot: API error 500: Internal Server Error (scripted error 500)"
                " (after 5 retries)",
                (6, 6),
            ),
        ),
        down=Down(Ending("*Could not connect to local model provider*")),
        silence=5,
        version="1.0.102",
        unauthenticated=(
            "set one of COPILOT_GITHUB_TOKEN, GH_TOKEN, GITHUB_TOKEN,"
            " or [agents.copilot] base_url for BYOK"
        ),
        key_vars=("COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"),
    ),
    Agent(
        name="gemini",
        model="gemini-2.5-pro",
        price=(1.25, 10),  # it reports no cost: podium's table
        prices_itself=False,
        tool="tool:write_file",
        edit_requests=2,
        # With one attempt per request it fails on a 429 with "Suggested retry after 10s.";
        # podium holds the task until then.
        rate_limit=RateLimit(
            sent=TooMany(retry_after=10, message="Quota exceeded"),
            reset="retry-after",
            passes=Passes(times=1, inside=False, exit_code=429 % 256),
        ),
        faults=Faults(
            broken=Ending(
                "gemini: API error 500: Internal Server Error (scripted error 500)",
                (1, 1),
                exit_code=500 % 256,
            ),
        ),
        down=Down(Ending("*fetch failed*")),
        silence=5,
        version="0.61.0",
        key_vars=("GEMINI_API_KEY",),
        # The repository's own Gemini settings win over podium's: one attempt per request.
        repo={".gemini/settings.json": '{"general": {"maxAttempts": 1}}'},
        error_reports="gemini-client-error-*.json",  # into the attempt's own TMPDIR
    ),
    Agent(
        name="opencode",
        model="gpt-5.5",
        price=(1.25, 10),  # the cost podium configured for it
        prices_itself=True,
        tool="tool:apply_patch",  # its gpt-5.5 tool set
        edit_requests=2,  # podium turns its title request off: it counts every request
        # Its 5 retries obey the retry-after; the reset comes from the x-ratelimit headers,
        # counted from the 429's Date header.
        rate_limit=RateLimit(
            sent=TooMany(
                message="Rate limit reached for requests",
                headers={"x-ratelimit-reset-requests": "1m30s"},
            ),
            reset="headers",
            reset_in=90,
            lasting=Ending("opencode: rate limited until *", (6, 6)),
            lasting_events=(1, 1),
        ),
        faults=Faults(
            broken=Ending("opencode: APIError 500: boom*", (6, 6)),
            # A short retry-after-ms, which it obeys: without it its backoff takes ~60 s.
            sent500={
                "error": {"status": 500, "message": "boom", "headers": {"retry-after-ms": "200"}}
            },
        ),
        # It retries a refused connection for ~67 s by itself; podium stops it first.
        down=Down(Ending(WALL_TIMEOUT), wall=15),
        silence=12,  # it prints nothing before its first answer, ~5 s
        version="1.18.33",
        key_vars=("OPENAI_API_KEY",),
    ),
    Agent(
        name="qwen",
        model="qwen3-coder-plus",
        price=(3, 15),  # it reports no cost and the model is not in podium's table: the default
        prices_itself=False,
        tool="tool:write_file",
        edit_requests=2,
        # It retries two 429s by itself (1.5 s, then 3 s) and prints nothing about them, so
        # podium records no rate limit; one that outlasts its 7 attempts (about 75 s) ends as
        # `[API Error: 429 ...]` with exit 0, a rate-limit failure (see the unit tests).
        rate_limit=RateLimit(
            sent=TooMany(),
            reset="none",
            passes=Passes(times=2, inside=True),
            recorded=False,
        ),
        faults=Faults(
            # Its 7 attempts at a 5xx take about 75 s: podium's wall clock bounds them
            # (one request per attempt: SDK retries off).
            broken=Ending("*wall-clock timeout*", (3, None)),
            wall=20,
        ),
        # It exits 0 on API errors; podium still fails the attempt.
        down=Down(Ending("qwen: API error: Connection error.*", exit_code=0)),
        silence=5,
        version="0.15.10",
        key_vars=("OPENAI_API_KEY",),
        base_path="/v1",
    ),
)
