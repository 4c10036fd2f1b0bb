"""Reading Python with ast: where a test is, its assertions, stubs and silent excepts."""

from __future__ import annotations

from podium.landing import pysource

SOURCE = '''\
import pytest


class TestThing:
    @pytest.mark.slow
    def test_one(self):
        self.assertEqual(f(), 1)
        with pytest.raises(ValueError):
            g()

    def test_two(self):
        assert 1 == 1 or f()


def helper():
    """Soon."""
    ...
'''


def test_a_test_id_is_located_with_its_decorators() -> None:
    assert pysource.locate(SOURCE, ["TestThing", "test_one"]) == (5, 9)
    assert pysource.locate(SOURCE, ["test_missing"]) is None
    assert pysource.locate("def (:", ["x"]) is None


def test_assertions_count_calls_and_raises_and_spot_the_trivial() -> None:
    found = pysource.assertions(SOURCE)
    assert found["TestThing::test_one"].count == 2
    assert found["TestThing::test_two"].trivial == (12,)


def test_stubs_and_silent_excepts() -> None:
    assert pysource.new_stubs("def helper():\n    return 1\n", SOURCE) == [("helper", (15, 17))]
    swallow = "try:\n    x()\nexcept:\n    pass\ntry:\n    y()\nexcept ValueError:\n    pass\n"
    assert pysource.silent_excepts(swallow) == [(3, 4)]
