"""Facts the scripted model reads from a prompt: faults, cwd forms, tags, directives, targets."""

from __future__ import annotations

from pathlib import Path

from podium.testing.prompt import (
    find_cwd,
    find_directive,
    find_faults,
    find_tag,
    find_target_path,
)
from podium.testing.requests import ANTHROPIC, Conversation, normalise


def conv(*users: str, system: str = "") -> Conversation:
    messages = [{"role": "user", "content": u} for u in users]
    return normalise(ANTHROPIC, {"model": "m", "system": system, "messages": messages})


def test_no_faults_unless_the_prompt_injects_them() -> None:
    assert find_faults(conv("Fix the bug.")) == (None, 0.0)


def test_injected_http_error_and_stall_are_read() -> None:
    assert find_faults(conv("Fix it. FAKE_HTTP_ERROR=529 FAKE_STALL=2.5")) == (529, 2.5)
    assert find_faults(conv("FAKE_STALL=3", "and go")) == (None, 3.0)


def test_faults_in_the_system_prompt_are_not_injected() -> None:
    assert find_faults(conv("go", system="docs mention FAKE_HTTP_ERROR=500")) == (None, 0.0)


def test_cwd_forms_with_quotes_and_trailing_punctuation() -> None:
    assert find_cwd(conv("Your working directory is: '/w/quoted'.")) == "/w/quoted"
    assert find_cwd(conv("Current directory: /w/cur;")) == "/w/cur"
    assert find_cwd(conv("go", system="cwd: /w/short")) == "/w/short"
    assert find_cwd(conv("Fix the bug in the parser.")) is None


def test_the_last_tag_across_user_messages_wins() -> None:
    assert find_tag(conv("PODIUM-TAG: a1", "PODIUM-TAG: t-2.b")) == "t-2.b"
    assert find_tag(conv("no tag", system="PODIUM-TAG: sys")) is None


def test_the_last_directive_wins() -> None:
    c = conv('PODIUM-SCRIPT: {"text": "old"}', 'again PODIUM-SCRIPT: ["a", 1]')
    assert find_directive(c) == ["a", 1]


def test_a_directive_that_is_not_json_is_none() -> None:
    assert find_directive(conv("PODIUM-SCRIPT: {not json")) is None
    assert find_directive(conv("go", system='PODIUM-SCRIPT: {"text": "x"}')) is None


def test_the_target_is_the_last_new_file_in_an_existing_folder(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "old.py").write_text("")
    prompt = (
        f"Context: {tmp_path}/src/old.py. Create {tmp_path}/src/new.py "
        f"(not {tmp_path}/missing/x.py, not {tmp_path}/src/.env, not {tmp_path}/src)."
    )
    assert find_target_path(conv(prompt)) == f"{tmp_path}/src/new.py"


def test_no_target_when_no_path_is_in_an_existing_folder(tmp_path: Path) -> None:
    assert find_target_path(conv(f"Write {tmp_path}/nowhere/a.py")) is None
    assert find_target_path(conv("Write a.py")) is None
