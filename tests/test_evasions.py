"""The pure evasion detectors: a diff's added lines, test ids, markers, assertions, stubs,
configuration and the policy, each on small texts."""

from __future__ import annotations

import pytest

from podium.landing import evasions
from podium.landing.evasions import Change, Finding

DIFF = """\
diff --git a/tests/test_x.py b/tests/test_x.py
index 1..2 100644
--- a/tests/test_x.py
+++ b/tests/test_x.py
@@ -3,0 +4,2 @@ def f():
+@pytest.mark.skip
++++ not a header
@@ -9 +11 @@
-    assert f() == 1
+    assert True
diff --git a/old.py b/old.py
deleted file mode 100644
--- a/old.py
+++ /dev/null
@@ -1 +0,0 @@
-x = 1
"""


def change(path: str, before: str | None, after: str | None, **added: str) -> Change:
    lines = {int(k[1:]): v for k, v in added.items()}
    old = path if before is not None else None
    new = path if after is not None else None
    return Change(old, new, before, after, lines)


def test_added_lines_by_file_and_new_line_number() -> None:
    assert evasions.added_lines(DIFF) == {
        "tests/test_x.py": {4: "@pytest.mark.skip", 5: "+++ not a header", 11: "    assert True"}
    }


def test_pytest_ids_are_the_lines_with_a_node_id() -> None:
    out = "tests/a.py::test_x\ntests/a.py::T::test_y[1 2]\n\n2 tests collected in 0.01s\n"
    assert evasions.test_ids(out, pytest=True) == {
        "tests/a.py::test_x",
        "tests/a.py::T::test_y[1 2]",
    }
    assert evasions.test_ids("a\n\nb\n", pytest=False) == {"a", "b"}


def test_removed_tests_group_parametrized_cases_and_locate_them_on_the_base() -> None:
    source = "import pytest\n\n\n@pytest.mark.parametrize('n', [1, 2])\ndef test_p(n):\n    pass\n"
    before = {"t.py::test_p[1]", "t.py::test_p[2]", "t.py::test_q"}
    found = evasions.removed_tests(before, {"t.py::test_q"}, {"t.py": source})
    assert [str(f) for f in found] == [
        "remove-tests: t.py:4-6: 2 cases of t.py::test_p collected on the base, not now"
    ]
    assert evasions.removed_tests(before, before | {"t.py::new"}, {}) == []


@pytest.mark.parametrize(
    ("path", "line", "hit"),
    [
        ("tests/test_a.py", "@pytest.mark.skipif(True, reason='x')", "pytest.mark.skipif"),
        ("tests/test_a.py", "pytestmark = pytest.mark.xfail", "pytest.mark.xfail"),
        ("tests/test_a.py", "    pytest.skip('later')", "pytest.skip("),
        ("tests/test_a.py", "@unittest.skip('x')", "unittest.skip"),
        ("web/a.test.ts", "it.only('works', () => {})", "it.only("),
        ("web/a.test.js", "describe.skip('all', () => {})", "describe.skip("),
        ("pkg/a_test.go", '\tt.Skip("flaky")', "t.Skip("),
        ("src/test/AT.java", "  @Disabled", "@Disabled"),
        ("src/app.py", "def f():  # pragma: no cover", "pragma: no cover"),
    ],
)
def test_disabling_markers_in_added_lines(path: str, line: str, hit: str) -> None:
    (found,) = evasions.disabled_tests(change(path, "", line, n7=line))
    assert found == Finding("disable-tests", path, (7, 7), f"adds {hit!r}")


def test_markers_only_count_in_their_own_languages() -> None:
    assert evasions.disabled_tests(change("docs/a.md", "", "x", n1="it.only(")) == []
    assert evasions.disabled_tests(change("a.py", "", "x", n1="x = 'fine'")) == []


def test_suppressions_and_broad_excepts_that_swallow() -> None:
    after = "try:\n    f()\nexcept Exception:\n    pass\nx = g()  # noqa: E501\n"
    found = evasions.suppressions(change("a.py", "", after, n3="except Exception:", n5=after))
    assert [str(f) for f in found] == [
        "add-suppressions: a.py:5: adds '# noqa'",
        "add-suppressions: a.py:3-4: adds a broad except that swallows the error",
    ]
    kept = "try:\n    f()\nexcept Exception:\n    log()\n    raise\n"
    assert evasions.suppressions(change("a.py", "", kept, n3="except Exception:")) == []


def test_assertions_that_drop_or_become_trivially_true() -> None:
    test_a = "def test_a():\n    assert f() == 1\n    assert g()\n\n"
    before = test_a + "def test_b():\n    assert h(1) == 2\n"
    fewer = "def test_a():\n    assert f() == 1\n\ndef test_b():\n    assert h(1) == 2\n"
    same = test_a + "def test_b():\n    assert h(1) == h(1)\n"
    found = evasions.weakened_assertions(change("tests/test_m.py", before, fewer))
    assert [str(f) for f in found] == [
        "weaken-assertions: tests/test_m.py:1-2: test_a has 1 assertion(s), had 2"
    ]
    found = evasions.weakened_assertions(change("tests/test_m.py", before, same))
    assert [str(f) for f in found] == [
        "weaken-assertions: tests/test_m.py:6: test_b now asserts something trivially true"
    ]
    assert evasions.weakened_assertions(change("src/m.py", before, fewer)) == []


def test_emptied_stubbed_and_deleted_sources() -> None:
    body = "def f(x):\n    y = x + 1\n    return y\n\n\ndef g():\n    return 2\n\nZ = 3\n"
    emptied = evasions.emptied(change("m.py", body, ""))
    assert [str(f) for f in emptied] == [
        "empty-files: m.py: lost most of its content (6 lines on the base, 0 now)"
    ]
    stub = body.replace(
        "    y = x + 1\n    return y", '    """Later."""\n    raise NotImplementedError'
    )
    assert [str(f) for f in evasions.emptied(change("m.py", body, stub))] == [
        "empty-files: m.py:1-3: f now only passes or raises"
    ]
    assert [str(f) for f in evasions.emptied(change("m.py", body, None))] == [
        "empty-files: m.py: deleted (6 lines on the base)"
    ]
    assert evasions.emptied(change("m.py", "X = 1\n", "")) == []  # too short to say
    assert evasions.emptied(change("notes.md", body, "")) == []


def test_config_files_count_unless_the_task_names_them() -> None:
    conftest = change("tests/conftest.py", "", "X = 1\n", n1="X = 1")
    assert [str(f) for f in evasions.config_changed(conftest, ["tests/**"], ())] == [
        "change-config: tests/conftest.py:1: changed (it decides what the gates check)"
    ]
    assert evasions.config_changed(conftest, ["tests/conftest.py"], ()) == []
    script = change("scripts/check.sh", "a", "b")
    assert evasions.config_changed(script, (), ("scripts/check.sh",)) != []


def test_pyproject_counts_only_for_the_checkers_tables() -> None:
    base = '[project]\nversion = "1"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n'
    bumped = change("pyproject.toml", base, base.replace('"1"', '"2"'))
    assert evasions.config_changed(bumped, (), ()) == []
    deselect = change("pyproject.toml", base, base.replace('"-q"', '"-q -k not_slow"'))
    (found,) = evasions.config_changed(deselect, (), ())
    assert found.what == "changes its checkers' settings (tool.pytest)"
    broken = change("pyproject.toml", base, base + "[tool.mypy\n")
    assert evasions.config_changed(broken, (), ()) != []
    cfg = "[metadata]\nname = a\n\n[flake8]\nmax-line-length = 100\n"
    loosened = change("setup.cfg", cfg, cfg.replace("100", "200"))
    assert evasions.config_changed(loosened, (), ())[0].what.endswith("(flake8)")


def test_gate_files_are_the_repository_paths_a_gate_names() -> None:
    gates = ["/usr/bin/python3 scripts/check.py --strict", "./lint.sh", "python -m pytest -q"]
    assert evasions.gate_files(gates) == ("scripts/check.py", "lint.sh")


def test_policy_fails_warns_or_drops_and_the_plan_may_allow() -> None:
    found = [
        Finding("remove-tests", "t.py", (1, 2), "gone"),
        Finding("add-suppressions", "a.py", (3, 3), "noqa"),
        Finding("disable-tests", "t.py", (5, 5), "skip"),
    ]
    policy = {"remove-tests": "fail", "add-suppressions": "warn", "disable-tests": "allow"}
    assert evasions.judge(found, policy, ()) == ([found[0]], [found[1]])
    assert evasions.judge(found, policy, ("remove-tests",)) == ([], [found[1]])
    assert evasions.summary(found[:1]).splitlines() == [
        "remove-tests: t.py:1-2: gone",
        "remove-tests: do not remove or deselect tests; make them pass",
    ]


UNTESTED = (
    'def f(x):\n    """Twice x."""\n    y = x * 2\n    # a comment\n    return y\n\n\nZ = 3\n'
)


def added(text: str, *numbers: int) -> dict[int, str]:
    lines = text.splitlines()
    return {n: lines[n - 1] for n in numbers}


def test_untested_changes_map_changed_lines_to_the_lines_that_ran() -> None:
    new = Change(None, "src/m.py", None, UNTESTED, added(UNTESTED, *range(1, 9)))
    # Nothing ran: the finding spans the changed code (the blank line after it is not code).
    assert [str(f) for f in evasions.untested(new, ())] == [
        "untested-changes: src/m.py:1-8: none of these changed lines ran under the tests"
    ]
    # The `def` line runs on import; that is no evidence the function was exercised.
    assert len(evasions.untested(new, {1})) == 1
    assert evasions.untested(new, {1, 3, 5}) == []  # its body ran
    assert evasions.untested(new, {8}) == []  # one changed line ran: not "none of them"
    body = Change("src/m.py", "src/m.py", UNTESTED, UNTESTED, added(UNTESTED, 3))
    assert [str(f) for f in evasions.untested(body, {1, 8})] == [
        "untested-changes: src/m.py:3: none of these changed lines ran under the tests"
    ]
    assert evasions.untested(body, {3}) == []
    renamed = Change("src/m.py", "src/m.py", UNTESTED, UNTESTED, added(UNTESTED, 1))
    assert evasions.untested(renamed, {1, 3}) == []  # a renamed def counts by its body


def test_untested_changes_ignore_non_code_tests_and_other_languages() -> None:
    comments = Change("m.py", "m.py", UNTESTED, UNTESTED, added(UNTESTED, 2, 4, 6))
    assert evasions.untested(comments, ()) == []  # a docstring, a comment, a blank line
    for path in ("tests/test_m.py", "test_m.py", "conftest.py", "m.js"):
        assert evasions.untested(Change(None, path, None, UNTESTED, added(UNTESTED, 3)), ()) == []
    gone = Change("m.py", None, UNTESTED, None, {})
    assert evasions.untested(gone, ()) == []
    broken = Change(None, "m.py", None, "def f(:\n", {1: "def f(:"})
    assert evasions.untested(broken, ()) == []  # left to the gates
