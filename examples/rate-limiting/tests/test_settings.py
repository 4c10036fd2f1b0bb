from app import settings


def test_debug_is_off() -> None:
    assert settings.DEBUG is False
