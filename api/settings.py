"""Service settings: one typed object, read from `FRONTOFFICE_*` environment variables once."""

import difflib
import functools
import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec
import msgspec.inspect as mi
from msgspec import Meta

PREFIX = "FRONTOFFICE_"
SHIPPED_CONTENT = Path(__file__).resolve().parent.parent / "content"


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Every setting with its default; the README lists them with the same words."""

    database_url: str = "sqlite+aiosqlite:///./frontoffice.db"
    """SQLAlchemy URL: SQLite (aiosqlite, the embedded default) or postgresql+asyncpg."""
    database_pool_size: Annotated[int, Meta(ge=1, le=1000)] = 5
    """PostgreSQL connections each process keeps open (up to 10 more are opened, and closed
    again, at busy moments): about as many as the requests it serves at once."""
    base_url: str = ""
    """Public URL of this service, used in links, LTI configuration and certificates; empty:
    `http://<host>:<port>` (127.0.0.1 when the host is 0.0.0.0), so it follows the port."""
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
    workers: Annotated[int, Meta(ge=1, le=128)] = 1
    """Processes `frontoffice serve` runs, each a whole app on the same port."""
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
    worker_metrics_port: Annotated[int, Meta(ge=0, le=65535)] = 0
    """Port a `frontoffice worker` serves its Prometheus metrics on (its delivery counters and
    process metrics), on `host`; 0: none."""
    webhook_allow_http: bool = False
    """Allow http:// webhook URLs (development only; https is required otherwise)."""
    console_allow_http: bool = False
    """Allow an http:// OpenID Connect issuer for console sign-in (development and tests only)."""
    outbound_allowlist: list[str] = []
    """Internal addresses or networks outbound calls may reach anyway (e.g. 127.0.0.1)."""
    webhook_timeout_seconds: Annotated[float, Meta(gt=0, le=60)] = 15.0
    """How long a webhook endpoint has to answer before the attempt counts as failed."""
    outbound_timeout_seconds: Annotated[float, Meta(gt=0, le=60)] = 15.0
    """Time limit of an outbound call (an LMS, a key set) that sets none of its own."""
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
    rate_limit_public: str = "300/minute"
    """How many requests one client address may make to the public routes (`/verify`, LTI,
    the landing page, the player, the feedback pages, the docs) in a window:
    `<count>/<second|minute|hour|day>`."""
    rate_limit_store: str = "memory"
    """Where the public routes' request counts are kept: `memory` (this process alone) or a
    `redis://` / `rediss://` URL (shared by every process using it)."""
    trusted_proxies: list[str] = []
    """Addresses or networks of reverse proxies whose `X-Forwarded-For` names the client."""
    feedback_rate_limit_school: str = "120/minute"
    """How many answers one school's public feedback link takes in a window, from everyone
    together (`<count>/<second|minute|hour|day>`); the public routes' limit applies as well."""
    feedback_answers_per_address: Annotated[int, Meta(ge=1, le=10_000)] = 20
    """How many answers from one client address count for one school in a day (a school's own
    network puts many families behind one address; a flood from one is capped at this)."""
    workshop_join_rate_limit: str = "120/hour"
    """How many times one client address may try to join a live workshop by code in a window
    (`<count>/<second|minute|hour|day>`): a room behind one school address joins well within
    it, and guessing a live code (one of 25^8) stays out of reach."""

    def __post_init__(self) -> None:
        if self.secret_key and len(self.secret_key.encode()) < 32:
            raise SettingsError(
                "FRONTOFFICE_SECRET_KEY must be at least 32 bytes (or empty: one is generated)."
            )
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            raise SettingsError(
                f"FRONTOFFICE_BASE_URL must start with http:// or https://, not {self.base_url!r} "
                "(or be empty: http://<host>:<port>)."
            )
        rate_window(self.rate_limit_public)  # raises SettingsError naming the variable
        rate_window(self.feedback_rate_limit_school, "FRONTOFFICE_FEEDBACK_RATE_LIMIT_SCHOOL")
        rate_window(self.workshop_join_rate_limit, "FRONTOFFICE_WORKSHOP_JOIN_RATE_LIMIT")
        if self.rate_limit_store != "memory" and not self.rate_limit_store.startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise SettingsError(
                "FRONTOFFICE_RATE_LIMIT_STORE must be memory or a redis:// URL, "
                f"not {self.rate_limit_store!r}."
            )
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SettingsError(
                    f"FRONTOFFICE_TRUSTED_PROXIES must list IP addresses or networks, not {proxy!r}."
                ) from None
        # Resolved here, once, so every reader of `base_url` gets the URL without knowing how it
        # is made. (`structs.replace` copies the resolved URL: pass `base_url=""` with a new port.)
        public = self.base_url.rstrip("/") or f"http://{_reachable(self.host)}:{self.port}"
        msgspec.structs.force_setattr(self, "base_url", public)

    @property
    def content_path(self) -> Path:
        return Path(self.content_dir) if self.content_dir else SHIPPED_CONTENT

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Settings from `FRONTOFFICE_<NAME>` variables; unknown names are an error, not ignored.

        Raises SettingsError with one sentence naming the variable and what is wrong with it."""
        env = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        for key, value in sorted(env.items()):
            # FRONTOFFICE_TEST_* belong to the test suite (its PostgreSQL URL), not the service.
            if not key.startswith(PREFIX) or key.startswith(f"{PREFIX}TEST_"):
                continue
            name = key[len(PREFIX) :].lower()
            if name not in cls.__struct_fields__:
                raise SettingsError(_unknown(key, name))
            raw[name] = [v.strip() for v in value.split(",") if v.strip()] if name in _LISTS else value
        try:
            return msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(_invalid(str(exc), raw)) from None


_WINDOWS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def rate_window(text: str, variable: str = "FRONTOFFICE_RATE_LIMIT_PUBLIC") -> tuple[int, int]:
    """A rate such as `60/minute` as (requests, seconds); a SettingsError names `variable`."""
    count, _, unit = text.replace(" ", "").partition("/")
    if not count.isdigit() or int(count) < 1 or unit.lower() not in _WINDOWS:
        raise SettingsError(
            f"{variable} must be <count>/<second, minute, hour or day> with a count "
            f"of at least 1, e.g. 300/minute, not {text!r}."
        )
    return int(count), _WINDOWS[unit.lower()]


def env_name(setting: str) -> str:
    """The environment variable of a setting: `port` is FRONTOFFICE_PORT."""
    return PREFIX + setting.upper()


def _reachable(host: str) -> str:
    """The address for links to a server listening on `host`: a wildcard means this machine."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host in ("::", "[::]"):
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _unknown(key: str, name: str) -> str:
    close = difflib.get_close_matches(name, Settings.__struct_fields__, n=1)
    hint = f"did you mean {env_name(close[0])}?" if close else "the README lists the settings."
    return f"{key} is not a setting; {hint}"


def _invalid(message: str, raw: Mapping[str, object]) -> str:
    """msgspec's `Expected `int`, got `str` - at `$.port`` as the variable and the values it takes."""
    found = re.search(r"`\$\.(\w+)", message)
    if found is None or found[1] not in _types():
        return f"Bad FRONTOFFICE_* setting: {message}"
    name = found[1]
    return f"{env_name(name)} must be {_expected(_types()[name])}, not {raw.get(name)!r}."


@functools.cache
def _types() -> dict[str, mi.Type]:
    info = mi.type_info(Settings)
    assert isinstance(info, mi.StructType)
    return {field.name: field.type for field in info.fields}


def _expected(kind: mi.Type) -> str:
    """The values a setting of type `kind` takes, in words."""
    if isinstance(kind, mi.UnionType):  # `bool | None`: None is the unset variable, not a value
        kind = next(t for t in kind.types if not isinstance(t, mi.NoneType))
    if isinstance(kind, mi.BoolType):
        return "true or false"
    if isinstance(kind, mi.LiteralType):
        return "one of " + ", ".join(map(str, kind.values))
    if isinstance(kind, mi.IntType | mi.FloatType):
        noun = "a whole number" if isinstance(kind, mi.IntType) else "a number"
        if kind.ge is not None and kind.le is not None:
            return f"{noun} from {kind.ge} to {kind.le}"
        bounds = [
            f"{word} {limit}"
            for word, limit in (
                ("of at least", kind.ge),
                ("above", kind.gt),
                ("at most", kind.le),
                ("below", kind.lt),
            )
            if limit is not None
        ]
        return " ".join([noun, " and ".join(bounds)]).strip()
    return f"a valid {type(kind).__name__.removesuffix('Type').lower()}"


_LISTS = {"cors_origins", "plugins", "outbound_allowlist", "trusted_proxies"}


class SettingsError(Exception):
    """Raised when an environment variable does not fit its setting; the message names it."""
