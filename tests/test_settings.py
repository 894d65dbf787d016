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
            "FRONTOFFICE_RATE_LIMIT_PUBLIC": "20/second",
            "FRONTOFFICE_TRUSTED_PROXIES": "10.0.0.0/8, fd00::1",
            "FRONTOFFICE_TEST_POSTGRES_URL": "postgresql://ignored",  # the suite's, not the service's
            "HOME": "/root",
        }
    )
    assert settings.port == 9000 and settings.dispatch_in_app is False
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.outbound_allowlist == ["127.0.0.1", "10.1.0.0/16"]
    assert settings.rate_limit_public == "20/second" and settings.trusted_proxies == ["10.0.0.0/8", "fd00::1"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        # A typo is an error, not silently ignored, and the likely intended name is suggested.
        ("FRONTOFFICE_PROT", "1", "FRONTOFFICE_PROT is not a setting; did you mean FRONTOFFICE_PORT?"),
        ("FRONTOFFICE_WORKER", "2", "FRONTOFFICE_WORKER is not a setting; did you mean FRONTOFFICE_WORKERS?"),
        ("FRONTOFFICE_XYZZY", "1", "FRONTOFFICE_XYZZY is not a setting; the README lists the settings."),
        (
            "FRONTOFFICE_PORT",
            "eighty",
            "FRONTOFFICE_PORT must be a whole number from 1 to 65535, not 'eighty'.",
        ),
        (
            "FRONTOFFICE_PORT",
            "70000",
            "FRONTOFFICE_PORT must be a whole number from 1 to 65535, not '70000'.",
        ),
        (
            "FRONTOFFICE_LOG_LEVEL",
            "LOUD",
            "FRONTOFFICE_LOG_LEVEL must be one of DEBUG, ERROR, INFO, WARNING, not 'LOUD'.",
        ),
        (
            "FRONTOFFICE_RATE_LIMIT_PUBLIC",
            "60 a minute",
            "FRONTOFFICE_RATE_LIMIT_PUBLIC must be <count>/<second, minute, hour or day> with a count "
            "of at least 1, e.g. 300/minute, not '60 a minute'.",
        ),
        (
            "FRONTOFFICE_RATE_LIMIT_STORE",
            "localhost:6379",
            "FRONTOFFICE_RATE_LIMIT_STORE must be memory or a redis:// URL, not 'localhost:6379'.",
        ),
        (
            "FRONTOFFICE_TRUSTED_PROXIES",
            "10.0.0.1,proxy.internal",
            "FRONTOFFICE_TRUSTED_PROXIES must list IP addresses or networks, not 'proxy.internal'.",
        ),
        (
            "FRONTOFFICE_SECRET_KEY",
            "too-short",
            "FRONTOFFICE_SECRET_KEY must be at least 32 bytes (or empty: one is generated).",
        ),
        (
            "FRONTOFFICE_MAX_BODY_BYTES",
            "10",
            "FRONTOFFICE_MAX_BODY_BYTES must be a whole number of at least 1024, not '10'.",
        ),
        (
            "FRONTOFFICE_WEBHOOK_TIMEOUT_SECONDS",
            "0",
            "FRONTOFFICE_WEBHOOK_TIMEOUT_SECONDS must be a number above 0 and at most 60, not '0'.",
        ),
        (
            "FRONTOFFICE_MIGRATE_ON_START",
            "yes",
            "FRONTOFFICE_MIGRATE_ON_START must be true or false, not 'yes'.",
        ),
        ("FRONTOFFICE_WORKERS", "0", "FRONTOFFICE_WORKERS must be a whole number from 1 to 128, not '0'."),
        (
            "FRONTOFFICE_BASE_URL",
            "fo.example.org",
            "FRONTOFFICE_BASE_URL must start with http:// or https://, not 'fo.example.org' "
            "(or be empty: http://<host>:<port>).",
        ),
    ],
)
def test_bad_settings_are_refused_with_one_sentence_naming_the_variable(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({name: value})
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("environ", "base_url"),
    [
        ({}, "http://127.0.0.1:8000"),
        # The port chosen at start is in every link, unless the public URL is set.
        ({"FRONTOFFICE_PORT": "9123"}, "http://127.0.0.1:9123"),
        ({"FRONTOFFICE_HOST": "0.0.0.0", "FRONTOFFICE_PORT": "9123"}, "http://127.0.0.1:9123"),
        ({"FRONTOFFICE_HOST": "::"}, "http://[::1]:8000"),
        ({"FRONTOFFICE_HOST": "::1"}, "http://[::1]:8000"),
        ({"FRONTOFFICE_HOST": "fo.internal"}, "http://fo.internal:8000"),
        (
            {"FRONTOFFICE_BASE_URL": "https://fo.example.org/", "FRONTOFFICE_PORT": "9123"},
            "https://fo.example.org",
        ),
    ],
)
def test_the_base_url_follows_host_and_port_unless_set(environ: dict[str, str], base_url: str) -> None:
    assert Settings.from_env(environ).base_url == base_url


def test_settings_made_in_code_derive_the_base_url_too() -> None:
    assert Settings(port=9124).base_url == "http://127.0.0.1:9124"
    assert Settings(port=9124, base_url="http://fo.test").base_url == "http://fo.test"


def test_workers_default_to_one() -> None:
    assert Settings.from_env({}).workers == 1
    assert Settings.from_env({"FRONTOFFICE_WORKERS": "4"}).workers == 4
