"""Settings come from FRONTOFFICE_* variables, typed, and a bad one stops the start."""

import pytest

from api.settings import SHIPPED_CONTENT, Settings, SettingsError


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.is_sqlite and settings.max_body_bytes == 1_048_576 and settings.dispatch_in_app
    assert settings.content_path == SHIPPED_CONTENT and (SHIPPED_CONTENT / "course.yaml").exists()


def test_values_are_converted_by_type() -> None:
    settings = Settings.from_env(
        {
            "FRONTOFFICE_PORT": "9000",
            "FRONTOFFICE_DISPATCH_IN_APP": "false",
            "FRONTOFFICE_CORS_ORIGINS": "https://a.example, https://b.example",
            "FRONTOFFICE_OUTBOUND_ALLOWLIST": "127.0.0.1,10.1.0.0/16",
            "FRONTOFFICE_TEST_POSTGRES_URL": "postgresql://ignored",  # the suite's, not the service's
            "HOME": "/root",
        }
    )
    assert settings.port == 9000 and settings.dispatch_in_app is False
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.outbound_allowlist == ["127.0.0.1", "10.1.0.0/16"]


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("FRONTOFFICE_PORTT", "1", "portt"),  # a typo is an error, not silently ignored
        ("FRONTOFFICE_PORT", "eighty", "port"),
        ("FRONTOFFICE_LOG_LEVEL", "LOUD", "log_level"),
        ("FRONTOFFICE_SECRET_KEY", "too-short", "32 bytes"),
        ("FRONTOFFICE_MAX_BODY_BYTES", "10", "max_body_bytes"),
    ],
)
def test_bad_settings_are_refused_with_a_message(name: str, value: str, words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        Settings.from_env({name: value})
