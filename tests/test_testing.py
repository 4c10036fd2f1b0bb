"""`import podium.testing` stays cheap: the server and the script load on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import podium.testing


def test_importing_the_package_loads_neither_the_server_nor_the_script() -> None:
    code = (
        "import sys, podium.testing\n"
        "print(sorted(m for m in sys.modules if m.startswith('podium.testing.')))\n"
        "podium.testing.ScriptedServer\n"
        "print('podium.testing.server' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == ["[]", "True"]


def test_the_public_names_resolve_and_others_are_an_attribute_error() -> None:
    from podium.testing.script import load_script
    from podium.testing.server import ScriptedServer

    assert podium.testing.ScriptedServer is ScriptedServer
    assert podium.testing.load_script is load_script
    with pytest.raises(AttributeError, match="has no attribute 'Server'"):
        podium.testing.Server  # noqa: B018
