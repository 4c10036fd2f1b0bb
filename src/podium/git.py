"""git through its CLI: argv lists only, never a shell string."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from podium.errors import GitError, PodiumError

# A fixed identity and no user hooks or signing: podium's own commits must not depend on
# the machine's git configuration, and must never wait for a passphrase.
_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_AUTHOR_NAME": "podium",
    "GIT_AUTHOR_EMAIL": "podium@localhost",
    "GIT_COMMITTER_NAME": "podium",
    "GIT_COMMITTER_EMAIL": "podium@localhost",
}
_CONFIG = ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", "-c", "gc.auto=0"]


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def run(cwd: Path, *args: str, check: bool = True, input: str | None = None) -> Result:
    """Run `git ARGS` in cwd; raise GitError on failure when check is set."""
    env = {**os.environ, **_ENV}
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    env.pop("GIT_INDEX_FILE", None)
    proc = subprocess.run(
        ["git", *_CONFIG, *args],
        cwd=cwd,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        stdin=None if input is not None else subprocess.DEVNULL,
    )
    result = Result(proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        what = (proc.stderr or proc.stdout).strip().splitlines()
        raise GitError(
            f"git {' '.join(args)} failed in {cwd}: {what[-1] if what else proc.returncode}"
        )
    return result


def out(cwd: Path, *args: str) -> str:
    """The stripped stdout of a git command that must succeed."""
    return run(cwd, *args).out.strip()


def toplevel(path: Path) -> Path:
    res = run(path, "rev-parse", "--show-toplevel", check=False)
    if res.code != 0:
        raise PodiumError(f"{path} is not inside a git repository (run `git init` first)")
    return Path(res.out.strip())


def common_dir(repo: Path) -> Path:
    return (repo / out(repo, "rev-parse", "--git-common-dir")).resolve()


def rev(repo: Path, ref: str) -> str | None:
    res = run(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    return res.out.strip() or None


def tip(repo: Path, ref: str) -> tuple[str, str] | None:
    """The commit `ref` names and that commit's tree, read together (one process, one read
    of the ref); None when there is no such commit."""
    res = run(repo, "log", "-1", "--no-show-signature", "--format=%H %T", ref, "--", check=False)
    parts = res.out.split()
    return (parts[0], parts[1]) if res.code == 0 and len(parts) == 2 else None


def tree_of(repo: Path, commit: str) -> str:
    return out(repo, "rev-parse", f"{commit}^{{tree}}")


def current_branch(repo: Path) -> str | None:
    res = run(repo, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    return res.out.strip() or None


def is_ancestor(repo: Path, maybe: str, of: str) -> bool:
    return run(repo, "merge-base", "--is-ancestor", maybe, of, check=False).code == 0


def changed_files(repo: Path, base: str, head: str) -> list[str]:
    """Paths that differ between two commits (renames count as delete + add)."""
    text = out(repo, "diff", "--name-only", "--no-renames", "-z", base, head)
    return [p for p in text.split("\0") if p]


@dataclass(frozen=True)
class Diff:
    """What changed between two commits, renames followed: (status letter, path on the
    base or None, path on the head or None) per file, and the `-U0` patch when asked."""

    files: tuple[tuple[str, str | None, str | None], ...]
    patch: str = ""

    @property
    def paths(self) -> list[str]:
        """Every changed path on either side (a rename counts as delete + add)."""
        out: dict[str, None] = {}
        for _, old, new in self.files:
            out.update({p: None for p in (old, new) if p})
        return sorted(out)


def diff(repo: Path, base: str, head: str, patch: bool = False) -> Diff:
    """The files changed from base to head, and with `patch` their `-U0` patch, in one
    process: `--raw -z` entries, then (after an empty field) the patch text."""
    args = ["diff", "--raw", "-z", "-M", "--no-ext-diff"]
    if patch:
        args += ["-p", "-U0"]
    text = run(repo, "-c", "core.quotePath=false", *args, base, head, "--").out
    raw, _, rest = text.partition("\0\0") if patch else (text, "", "")
    return Diff(_raw_files(raw.split("\0")), rest)


def _raw_files(fields: list[str]) -> tuple[tuple[str, str | None, str | None], ...]:
    """`git diff --raw -z` fields -> (status, path on the base, path on the head)."""
    found: list[tuple[str, str | None, str | None]] = []
    i = 0
    while i + 1 < len(fields) and fields[i].startswith(":"):
        status = fields[i].split()[-1][0]
        if status in "RC":
            old = fields[i + 1] if status == "R" else None
            found.append((status, old, fields[i + 2]))
            i += 3
            continue
        path = fields[i + 1]
        found.append((status, None if status == "A" else path, None if status == "D" else path))
        i += 2
    return tuple(found)


def dirty_files(worktree: Path) -> list[str]:
    """Tracked files with uncommitted changes (untracked files are not counted)."""
    text = run(worktree, "status", "--porcelain", "--untracked-files=no", "-z").out
    return [entry[3:] for entry in text.split("\0") if len(entry) > 3]


_commons: dict[Path, Path] = {}  # repository -> its common dir, which never changes


def may_be_checked_out(repo: Path, branch: str) -> bool:
    """False when no worktree of the repository has `branch` checked out, read from their
    HEAD files without a process; True when one names it, or when a HEAD file is not a plain
    branch or commit (being written, or another ref storage): then ask `checked_out_at`."""
    if repo not in _commons:
        _commons[repo] = common_dir(repo)
    common = _commons[repo]
    want = f"ref: refs/heads/{branch}"
    for head in [common / "HEAD", *(common / "worktrees").glob("*/HEAD")]:
        try:
            text = head.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return True
        plain = text.startswith("ref: refs/heads/") or (
            len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)
        )
        if text == want or not plain or text.endswith("/.invalid"):
            return True
    return False


def checked_out_at(repo: Path, branch: str) -> Path | None:
    """The worktree that has `branch` checked out, if any."""
    path: Path | None = None
    for line in out(repo, "worktree", "list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            path = Path(line[len("worktree ") :])
        elif line == f"branch refs/heads/{branch}" and path is not None:
            return path
    return None


def merge_tree(repo: Path, ours: str, theirs: str) -> tuple[str | None, list[str]]:
    """Merge two commits without touching any worktree: (tree, []) or (None, conflicted paths)."""
    res = run(repo, "merge-tree", "--write-tree", "--name-only", "-z", ours, theirs, check=False)
    if res.code == 0:
        return res.out.split("\0")[0].strip(), []
    # git also exits 1 for a commit it cannot find; a real conflict always names its paths.
    fields = res.out.split("\0\0")[0].split("\0")
    paths = sorted({f for f in fields[1:] if f})
    if res.code == 1 and paths:
        return None, paths
    what = (res.err or res.out).strip().splitlines()
    raise GitError(
        f"git merge-tree {ours} {theirs} failed in {repo}: {what[-1] if what else res.code}"
    )


def commit_tree(repo: Path, tree: str, parents: list[str], message: str) -> str:
    args = ["commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    return run(repo, *args, "-F", "-", input=message).out.strip()


def update_ref(repo: Path, ref: str, new: str, old: str) -> bool:
    """Compare-and-swap: move ref to new only if it still points at old."""
    return run(repo, "update-ref", "-m", "podium merge", ref, new, old, check=False).code == 0
