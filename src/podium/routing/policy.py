"""The bandit's learned state: per arm A = λI + Σ x xᵀ, b = Σ r x and a count, kept as JSON.

`Policy` is a frozen value; `observe` returns a new one. The linear algebra is written out for
the small dimension the router uses (about 15 features): a Cholesky factor of A and forward
substitution give both the mean θᵀx = bᵀA⁻¹x and the width xᵀA⁻¹x without forming A⁻¹.

On disk (`.podium/routing/policy.json`): {"format": "podium-routing-policy", "version": 1,
"lambda": λ, "features": [names], "arms": {"agent/model": {"n": .., "A": [[..]], "b": [..]}}}.
A missing file is a fresh policy; a file podium cannot read is a `StateError` that says why.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from podium.errors import StateError

FORMAT = "podium-routing-policy"
VERSION = 1

Vector = tuple[float, ...]
Matrix = tuple[Vector, ...]


@dataclass(frozen=True)
class ArmStats:
    a: Matrix  # λI + Σ x xᵀ
    b: Vector  # Σ r x
    n: int = 0  # observations


@dataclass(frozen=True)
class Policy:
    features: tuple[str, ...]  # the names of the vector's components, in order
    lam: float = 1.0  # ridge λ, fixed when the policy is created
    arms: dict[str, ArmStats] = field(default_factory=dict)  # by "agent/model"

    @property
    def total(self) -> int:
        return sum(stats.n for stats in self.arms.values())

    def count(self, arm: str) -> int:
        stats = self.arms.get(arm)
        return stats.n if stats else 0

    def stats(self, arm: str) -> ArmStats:
        """The arm's statistics; an arm never observed has A = λI and b = 0."""
        found = self.arms.get(arm)
        if found is not None:
            return found
        d = len(self.features)
        eye = tuple(tuple(self.lam if i == j else 0.0 for j in range(d)) for i in range(d))
        return ArmStats(eye, (0.0,) * d)


def observe(policy: Policy, arm: str, x: Sequence[float], reward: float) -> Policy:
    """The policy after seeing `reward` for `arm` on features `x`."""
    if len(x) != len(policy.features):
        raise ValueError(
            f"feature vector has {len(x)} components, the policy {len(policy.features)}"
        )
    old = policy.stats(arm)
    a = tuple(
        tuple(aij + xi * xj for aij, xj in zip(row, x, strict=True))
        for row, xi in zip(old.a, x, strict=True)
    )
    b = tuple(bi + reward * xi for bi, xi in zip(old.b, x, strict=True))
    return Policy(policy.features, policy.lam, {**policy.arms, arm: ArmStats(a, b, old.n + 1)})


def estimate(stats: ArmStats, x: Sequence[float]) -> tuple[float, float]:
    """(θᵀx, sqrt(xᵀA⁻¹x)): the ridge estimate of the reward and its uncertainty width."""
    low = cholesky(stats.a)
    zx = forward(low, x)
    zb = forward(low, stats.b)
    mean = sum(p * q for p, q in zip(zb, zx, strict=True))
    return mean, math.sqrt(sum(z * z for z in zx))


def cholesky(a: Matrix) -> list[list[float]]:
    """The lower-triangular L with L Lᵀ = A; ValueError when A is not positive definite."""
    d = len(a)
    low = [[0.0] * d for _ in range(d)]
    for i in range(d):
        for j in range(i + 1):
            s = a[i][j] - sum(low[i][k] * low[j][k] for k in range(j))
            if i == j:
                if s <= 0.0:
                    raise ValueError("matrix is not positive definite")
                low[i][i] = math.sqrt(s)
            else:
                low[i][j] = s / low[j][j]
    return low


def forward(low: list[list[float]], v: Sequence[float]) -> list[float]:
    """z with L z = v."""
    z: list[float] = []
    for i, row in enumerate(low):
        z.append((v[i] - sum(row[k] * z[k] for k in range(i))) / row[i])
    return z


# -- persistence -------------------------------------------------------------------------


def policy_json(policy: Policy) -> str:
    arms = {
        name: {"n": s.n, "A": [list(row) for row in s.a], "b": list(s.b)}
        for name, s in sorted(policy.arms.items())
    }
    data = {
        "format": FORMAT,
        "version": VERSION,
        "lambda": policy.lam,
        "features": list(policy.features),
        "arms": arms,
    }
    text = json.dumps(data, indent=1)
    # One line per vector and matrix row: collapse every array that holds only numbers.
    return re.sub(r"\[[^\[\]{}\"]*\]", lambda m: " ".join(m[0].split()), text) + "\n"


def save_policy(policy: Policy, path: Path) -> None:
    """Write the policy atomically: a temporary file in the same directory, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(policy_json(policy))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_policy(path: Path, features: Sequence[str], lam: float = 1.0) -> Policy:
    """The policy saved at `path`, or a fresh one (over `features`, with `lam`) if none is."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Policy(tuple(features), lam)
    except (OSError, UnicodeDecodeError) as exc:
        raise _broken(path, f"cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _broken(path, f"is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    return parse_policy(data, path, tuple(features))


def parse_policy(data: Any, path: Path, features: tuple[str, ...]) -> Policy:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _broken(path, f'is not a podium routing policy (no "format": "{FORMAT}")')
    if data.get("version") != VERSION:
        found = data.get("version")
        raise _broken(path, f"has version {found!r}; this podium reads version {VERSION}")
    if data.get("features") != list(features):
        raise _broken(path, "was learned over other task features than this podium uses")
    lam = data.get("lambda")
    if not isinstance(lam, int | float) or isinstance(lam, bool) or not lam > 0:
        raise _broken(path, f"has lambda {lam!r}; it must be a number above 0")
    arms = data.get("arms")
    if not isinstance(arms, dict):
        raise _broken(path, 'has no "arms" table')
    parsed = {
        str(name): _arm(entry, path, str(name), len(features)) for name, entry in arms.items()
    }
    return Policy(features, float(lam), parsed)


def _arm(entry: Any, path: Path, name: str, d: int) -> ArmStats:
    where = f"arm {name!r}"
    if not isinstance(entry, dict):
        raise _broken(path, f"{where} is not a table of n, A and b")
    n, a, b = entry.get("n"), entry.get("A"), entry.get("b")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise _broken(path, f"{where}: n must be a whole number >= 0, got {n!r}")
    if not _numbers(b, d) or not isinstance(a, list) or len(a) != d:
        raise _broken(path, f"{where}: A must be {d}x{d} and b {d} numbers")
    if not all(_numbers(row, d) for row in a):
        raise _broken(path, f"{where}: A must be {d}x{d} numbers")
    stats = ArmStats(tuple(tuple(float(v) for v in row) for row in a), tuple(map(float, b)), n)
    symmetric = all(stats.a[i][j] == stats.a[j][i] for i in range(d) for j in range(i))
    try:
        cholesky(stats.a)
    except ValueError:
        symmetric = False
    if not symmetric:
        raise _broken(path, f"{where}: A is not symmetric positive definite")
    return stats


def _numbers(value: Any, d: int) -> TypeGuard[list[float]]:
    if not isinstance(value, list) or len(value) != d:
        return False
    return all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
    )


def _broken(path: Path, what: str) -> StateError:
    return StateError(
        f"{path}: the routing policy {what}; delete the file to let the bandit start learning "
        "afresh, or run with --routing cascade"
    )
