"""The ids of the tests a pytest gate collects, read from the gate's own run.

The merge queue screens each tree about to land for tests that went missing (`remove-tests`),
which needs the tree's test ids. A separate `pytest --collect-only` beside the gate costs a
second pytest start-up and a second collection per batch; instead the gate's pytest loads a
small plug-in (through `PYTEST_PLUGINS`, from a folder put on `PYTHONPATH`) that writes the ids
it collected, one per line as `--collect-only -q` lists them. The plug-in takes its variables
out of the environment as it loads, so that no pytest the tests start writes over the list.
When no list comes back (the gate runs its tests in workers, through a tool that drops the
environment, or asked for a subset with `--lf` or `--sw`), the caller collects separately.
"""

from __future__ import annotations

import os
from pathlib import Path

from podium.landing import evasions

MODULE = "podium_test_ids"
OUT = "PODIUM_TEST_IDS"
PLUGIN = f'''"""Written by podium for one gate run: see podium/landing/testids.py."""
import os

_out = os.environ.pop("{OUT}", None)
_was = os.environ.pop("{OUT}_WAS", None)
if _was is not None:  # what the gate's environment had: its children get that back
    import json

    for _name, _value in json.loads(_was).items():
        if _value is None:
            os.environ.pop(_name, None)
        else:
            os.environ[_name] = _value


def pytest_collection_finish(session):
    config = session.config
    if _out is None or hasattr(config, "workerinput"):
        return
    if config.getoption("lf", False) or config.getoption("stepwise", False):
        return  # it runs a subset of what it collects
    with open(_out + ".part", "w", encoding="utf-8") as f:
        f.write("".join(item.nodeid + "\\n" for item in session.items))
    os.replace(_out + ".part", _out)
'''


def gate_env(folder: Path, out: Path) -> dict[str, str]:
    """The environment for a pytest gate that writes its collected ids to `out`; the plug-in
    is written into `folder`, which only the gate's run uses."""
    import json

    (folder / f"{MODULE}.py").write_text(PLUGIN, encoding="utf-8")
    env = dict(os.environ)
    was = {name: env.get(name) for name in ("PYTEST_PLUGINS", "PYTHONPATH")}
    plugins = env.get("PYTEST_PLUGINS", "")
    env["PYTEST_PLUGINS"] = f"{plugins},{MODULE}" if plugins else MODULE
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = f"{folder}{os.pathsep}{path}" if path else str(folder)
    env[OUT] = str(out)
    env[f"{OUT}_WAS"] = json.dumps(was)
    return env


def read(out: Path) -> frozenset[str] | None:
    """The ids the gate wrote; None when it wrote none (then collect them separately)."""
    try:
        text = out.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return evasions.test_ids(text, pytest=True)  # kept as the collection's lines are
