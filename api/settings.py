"""Service settings: one typed object, read from `FRONTOFFICE_*` environment variables once."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

PREFIX = "FRONTOFFICE_"
SHIPPED_CONTENT = Path(__file__).resolve().parent.parent / "content"


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Every setting with its default; the README lists them with the same words."""

    database_url: str = "sqlite+aiosqlite:///./frontoffice.db"
    """SQLAlchemy URL: SQLite (aiosqlite, the embedded default) or postgresql+asyncpg."""
    base_url: str = "http://127.0.0.1:8000"
    """Public URL of this service, used in links, LTI configuration and problem types."""
    secret_key: str = ""
    """Key for signing learner tokens; empty: one is generated and kept in the database."""
    cors_origins: list[str] = []
    """Origins allowed to call the API from a browser (comma-separated); empty: none."""
    max_body_bytes: Annotated[int, Meta(ge=1024)] = 1_048_576
    """Largest request body accepted, in bytes; larger bodies get 413."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Level of the JSON logs written to standard error."""
    host: str = "127.0.0.1"
    """Address `frontoffice serve` listens on."""
    port: Annotated[int, Meta(ge=1, le=65535)] = 8000
    """Port `frontoffice serve` listens on."""
    migrate_on_start: bool | None = None
    """Migrate the database when `serve` starts; unset: only for SQLite."""
    content_dir: str = ""
    """Folder of the course files; empty: the course shipped with Front Office (`content/`)."""
    publish_on_start: bool = True
    """Check and publish the course files when the app starts (a broken file stops the start)."""
    plugins: list[str] = []
    """Plugins to load (comma-separated names); empty: every installed one."""
    dispatch_in_app: bool = True
    """Run an outbox dispatcher inside `serve`; switch off when dedicated workers run."""
    webhook_allow_http: bool = False
    """Allow http:// webhook URLs (development only; https is required otherwise)."""
    outbound_allowlist: list[str] = []
    """Internal addresses or networks outbound calls may reach anyway (e.g. 127.0.0.1)."""
    webhook_timeout_seconds: Annotated[float, Meta(gt=0, le=60)] = 15.0
    """How long a webhook endpoint has to answer before the attempt counts as failed."""
    delivery_lease_seconds: Annotated[float, Meta(gt=0, le=3600)] = 60.0
    """How long a worker holds claimed deliveries; a killed worker's are retaken after it."""
    delivery_concurrency: Annotated[int, Meta(ge=1, le=1024)] = 32
    """How many deliveries a worker sends at once, in all."""
    delivery_concurrency_per_subscriber: Annotated[int, Meta(ge=1, le=1024)] = 16
    """How many of them may go to one subscriber (a webhook endpoint, an LMS) at once."""
    idempotency_hours: Annotated[int, Meta(ge=1, le=720)] = 24
    """How long a POST's `Idempotency-Key` is remembered."""
    delivery_log_days: Annotated[int, Meta(ge=1, le=3650)] = 30
    """How long succeeded deliveries and their attempt logs are kept (failed ones stay)."""

    def __post_init__(self) -> None:
        if self.secret_key and len(self.secret_key.encode()) < 32:
            raise SettingsError(
                "FRONTOFFICE_SECRET_KEY must be at least 32 bytes (or empty: one is generated)."
            )

    @property
    def content_path(self) -> Path:
        return Path(self.content_dir) if self.content_dir else SHIPPED_CONTENT

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Settings from `FRONTOFFICE_<NAME>` variables; unknown names are an error, not ignored."""
        env = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        for key, value in env.items():
            # FRONTOFFICE_TEST_* belong to the test suite (its PostgreSQL URL), not the service.
            if not key.startswith(PREFIX) or key.startswith(f"{PREFIX}TEST_"):
                continue
            name = key[len(PREFIX) :].lower()
            raw[name] = [v.strip() for v in value.split(",") if v.strip()] if name in _LISTS else value
        try:
            return msgspec.convert(raw, cls, strict=False)
        except (msgspec.ValidationError, SettingsError) as exc:
            raise SettingsError(f"Bad FRONTOFFICE_* setting: {exc}") from None


_LISTS = {"cors_origins", "plugins", "outbound_allowlist"}


class SettingsError(Exception):
    """Raised when an environment variable does not fit its setting."""
