"""A stand-in agent for the `command` agent: edits files as its argv says, nothing else.

usage: fake_agent.py WORKTREE OP... where OP is one of
  sleep S | write PATH TEXT | replace PATH OLD NEW | delete PATH | say TEXT | commit MESSAGE
  | exit CODE | hang | wait-for PATH (an absolute path: until it exists)
  | first-attempt-hang (hangs only when PODIUM_ATTEMPT is 1)
  | need-model M (exits 1 unless podium launched it with model M)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    root = Path(argv[0])
    ops = argv[1:]
    while ops:
        op, ops = ops[0], ops[1:]
        if op == "sleep":
            time.sleep(float(ops[0]))
            ops = ops[1:]
        elif op == "write":
            path = root / ops[0]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(ops[1].replace("\\n", "\n"))
            ops = ops[2:]
        elif op == "replace":
            path = root / ops[0]
            path.write_text(path.read_text().replace(ops[1], ops[2].replace("\\n", "\n")))
            ops = ops[3:]
        elif op == "delete":
            (root / ops[0]).unlink()
            ops = ops[1:]
        elif op == "say":
            print(ops[0], flush=True)
            ops = ops[1:]
        elif op == "commit":
            subprocess.run(["git", "add", "-A"], cwd=root, check=True)
            subprocess.run(["git", "commit", "-qm", ops[0]], cwd=root, check=True)
            ops = ops[1:]
        elif op == "need-model":
            if os.environ.get("PODIUM_MODEL") != ops[0]:
                print(f"model {os.environ.get('PODIUM_MODEL')!r} is not up to it", flush=True)
                return 1
            ops = ops[1:]
        elif op == "exit":
            return int(ops[0])
        elif op == "wait-for":
            while not Path(ops[0]).exists():
                time.sleep(0.05)
            ops = ops[1:]
        elif op == "hang" or (
            op == "first-attempt-hang" and os.environ.get("PODIUM_ATTEMPT") == "1"
        ):
            time.sleep(3600)
        elif op == "first-attempt-hang":
            pass
        else:
            print(f"fake_agent: unknown op {op!r}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
