"""The `frontoffice` command: serve, migrate, openapi, districts and keys."""

import asyncio
import importlib.metadata
import logging
import os
import socket
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec

from api.admin.services import DistrictService, KeyService
from api.clirun import run_with_sessions as _with_sessions
from api.content.jsonschema import write_json_schemas
from api.content.loader import check_content, load_course
from api.content.publish import publish
from api.db import Sessions
from api.errors import FrontOfficeError
from api.feedback.instrument import check_card
from api.identity.auth import ALL_KEY_SCOPES
from api.logs import configure_logging, logging_config
from api.measures.instruments import check_measures
from api.roster.services import RosterService
from api.settings import Settings, SettingsError, env_name
from schemas.hr import OneRosterImportResult, RosterImportResult

T = TypeVar("T")
DEMO_SLUG = "demo"
OPENAPI_PATH = Path("openapi/openapi.json")
log = logging.getLogger("frontoffice")


class _WithPluginCommands(click.Group):
    """The command group, plus each loaded plugin's own group under the plugin's name (looked
    up when a command is asked for, so nothing loads at import)."""

    def _plugin_groups(self) -> dict[str, click.Command]:
        from api.plugin import load_plugins

        groups: dict[str, click.Command] = {}
        for name, plugin in load_plugins(Settings.from_env().plugins or None).items():
            group = plugin.cli()
            if group is not None:
                groups[name] = group
        return groups

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugin_groups()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or self._plugin_groups().get(name)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run a command; a bad FRONTOFFICE_* variable, wherever it is read, is one line saying
        what is wrong and exit status 1, not a traceback."""
        try:
            return super().main(*args, **kwargs)
        except SettingsError as exc:
            click.ClickException(str(exc)).show()
            sys.exit(1)


@click.group(cls=_WithPluginCommands)
@click.version_option(package_name="frontoffice", prog_name="Front Office", message="%(prog)s %(version)s")
def main() -> None:
    """Front Office: training content, learner progress and completions for school districts."""


@main.command()
def migrate() -> None:
    """Bring the database to the newest migration."""
    _with_sessions(lambda _: asyncio.sleep(0), migrate=True)
    click.echo("database is at the newest migration")


async def _demo(sessions: Sessions, secret_key: str) -> tuple[str, str]:
    """The demo district's fresh API key, and a learner token for one of its staff."""
    from api.identity.learners import LearnerService
    from api.identity.tokens import TokenKey
    from schemas.progress import LearnerProfile

    key = await _demo_key(sessions)
    district = await DistrictService(sessions).by_slug(DEMO_SLUG)
    profile = LearnerProfile(
        external_id="demo-1", name="Pat Rivera", school="Lincoln Elementary", role="secretary"
    )
    token = await LearnerService(sessions, district.id).token(
        profile, "", 480, await TokenKey(sessions, secret_key).get()
    )
    return key, token.token


async def _demo_key(sessions: Sessions) -> str:
    districts = DistrictService(sessions)
    try:
        district = await districts.by_slug(DEMO_SLUG)
    except FrontOfficeError:
        district = await districts.create(DEMO_SLUG, "Demo Unified School District")
    keys = KeyService(sessions, district.id)
    for key in await keys.list():
        if key.name == "demo key" and key.revoked_at is None:
            await keys.revoke(key.id)
    return (await keys.create("demo key", ALL_KEY_SCOPES)).key


def _setting_help(name: str, text: str) -> str:
    """A flag's help, with the variable it overrides and the default, as click shows them."""
    return f"{text}  [env var: {env_name(name)}; default: {getattr(Settings(), name)}]"


@contextmanager
def _start_failures_logged() -> Iterator[None]:
    """`serve` and `worker` write their log to stderr: a failure to start (a bad setting, a bad
    course file) is a JSON line in it too, and exit status 1."""
    try:
        yield
    except SettingsError as exc:
        log.error(str(exc))
        raise SystemExit(1) from None
    except click.ClickException as exc:
        log.error(exc.format_message())
        raise SystemExit(exc.exit_code) from None


@main.command()
@click.option("--demo", is_flag=True, help="Create the demo district and print a fresh demo API key.")
@click.option("--host", default=None, help=_setting_help("host", "Address to listen on (0.0.0.0: all)."))
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help=_setting_help("port", "Port to listen on; links follow it unless FRONTOFFICE_BASE_URL is set."),
)
@click.option(
    "--workers",
    type=click.IntRange(1, 128),
    default=None,
    help=_setting_help("workers", "Server processes, each a whole app on the same port."),
)
def serve(demo: bool, host: str | None, port: int | None, workers: int | None) -> None:
    """Run the API server (uvicorn with uvloop), migrating an SQLite database first.

    Its log is JSON lines on stderr, starting with one saying where it listens."""
    configure_logging("INFO")
    with _start_failures_logged():
        # Through the environment: the --workers processes read their settings from there.
        flags = {"host": host, "port": port, "workers": workers}
        os.environ.update({env_name(name): str(value) for name, value in flags.items() if value is not None})
        settings = Settings.from_env()
        configure_logging(settings.log_level)
        if settings.publish_on_start:
            _check_or_exit(settings.content_path, report=log.error)
        if demo:
            key, token = _with_sessions(lambda sessions: _demo(sessions, settings.secret_key), migrate=True)
            click.echo(_demo_text(settings.base_url, key, token))
    _serve(settings)


def _demo_text(base: str, key: str, token: str) -> str:
    return (
        f"\nDemo district ready. Its API key (all scopes; a new one each start):\n\n  {key}\n\n"
        f"Try:\n  curl -s -H 'Authorization: Bearer {key}' {base}/api/v1/keys\n"
        f"  curl -s -H 'Authorization: Bearer {key}' {base}/api/v1/modules\n\n"
        f"A learner token for a demo staff member (then use it as the bearer on /api/v1/me/...):\n"
        f"  curl -s -X POST -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n"
        f'    -d \'{{"learner": {{"external_id": "demo-1", "name": "Pat Rivera", '
        f'"school": "Lincoln Elementary", "role": "secretary"}}}}\' \\\n'
        f"    {base}/api/v1/learner-tokens\n\n"
        f"The learner player, as Pat Rivera (the token is good for 8 hours):\n"
        f"  {base}/player/#token={token}&module=who-are-our-customers\n\n"
        f"API docs: {base}/docs\n"
    )


def _serve(settings: Settings) -> None:
    """uvicorn on a socket bound here: the line saying where the service listens is logged once
    (not once per worker), and only when the address is its own."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from api.app import create_app

    several = settings.workers > 1
    config = uvicorn.Config(
        # Each --workers process builds its own app, reading its settings from the environment.
        "api.app:app_from_env" if several else create_app(settings),
        factory=several,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,  # the app logs each request itself (frontoffice.access)
        log_level="warning",
        log_config=logging_config(settings.log_level),
        # uvicorn restarts a worker that does not answer its ping in time, and a worker answers
        # only once it has started Python and imported uvicorn: 5 s (the default) is too short
        # for that on a busy machine, where workers were restarted over and over, never serving.
        timeout_worker_healthcheck=30,
    )
    sock = _bind(settings.host, settings.port)
    listen = f"http://{_bracketed(settings.host)}:{settings.port}"
    count = f"{settings.workers} worker{'s' if several else ''}"
    version = importlib.metadata.version("frontoffice")
    log.info(
        f"Front Office {version} listening on {listen} ({_database(settings.database_url)}, {count})"
        + ("" if settings.base_url == listen else f"; links use {settings.base_url}"),
        extra={"url": listen, "base_url": settings.base_url, "workers": settings.workers},
    )
    server = uvicorn.Server(config)
    try:
        if several:
            with _shared_metrics():
                Multiprocess(config, sockets=[sock]).run()
        else:
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    if not several and not server.started:
        raise SystemExit(3)  # uvicorn's status for a failed start; it has logged why


@contextmanager
def _shared_metrics() -> Iterator[None]:
    """A fresh folder for the --workers processes' counters (prometheus-client's multiprocess
    mode, api/metrics.py), so a scrape that reaches any one of them counts all of them; removed
    when they stop. One the operator set (`PROMETHEUS_MULTIPROC_DIR`) is theirs to empty."""
    from api.metrics import MULTIPROCESS_DIR

    if os.environ.get(MULTIPROCESS_DIR):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="frontoffice-metrics-") as folder:
        os.environ[MULTIPROCESS_DIR] = folder  # the workers are spawned: they inherit it
        try:
            yield
        finally:
            del os.environ[MULTIPROCESS_DIR]


def _bind(host: str, port: int) -> socket.socket:
    """The socket every worker accepts on, bound as uvicorn binds it; an address that is taken
    or not this machine's is one log line naming it, and exit status 1."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        log.error(
            f"cannot listen on {_bracketed(host)}:{port}: {exc.strerror or exc} "
            "(--host and --port, or FRONTOFFICE_HOST and FRONTOFFICE_PORT, choose the address)"
        )
        raise SystemExit(1) from None
    sock.set_inheritable(True)
    return sock


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _database(url: str) -> str:
    """The database for people to read: kind and place, never the password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return "database URL not understood"
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite {parsed.database or ':memory:'}"
    return f"PostgreSQL {parsed.host}:{parsed.port or 5432}/{parsed.database}"


@main.command()
@click.option("--out", type=click.Path(path_type=Path), default=OPENAPI_PATH, show_default=True)
def openapi(out: Path) -> None:
    """Write the OpenAPI document generated from the code."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(openapi_text())
    click.echo(f"wrote {out}")


def openapi_text() -> str:
    """The OpenAPI document as checked in: pretty JSON with sorted keys."""
    from api.app import create_app

    schema = create_app(Settings()).openapi_schema.to_schema()
    return msgspec.json.format(msgspec.json.encode(schema, order="sorted"), indent=2).decode() + "\n"


@main.group()
def districts() -> None:
    """Create and list districts (tenants)."""


@districts.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The district's full name.")
def districts_create(slug: str, name: str) -> None:
    """Create a district."""
    district = _with_sessions(lambda s: DistrictService(s).create(slug, name), migrate=True)
    click.echo(f"created district {district.slug} ({district.id})")


@districts.command("list")
def districts_list() -> None:
    """List districts."""
    for d in _with_sessions(lambda s: DistrictService(s).list()):
        click.echo(f"{d.slug}\t{d.id}\t{d.name}")


@main.group()
def keys() -> None:
    """Create, list and revoke a district's API keys."""


async def _keys_for(sessions: Sessions, slug: str) -> KeyService:
    district = await DistrictService(sessions).by_slug(slug)
    return KeyService(sessions, district.id)


@keys.command("create")
@click.option("--district", "slug", required=True, help="District slug.")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(ALL_KEY_SCOPES))
@click.option("--name", default="cli key", show_default=True, help="What the key is for.")
def keys_create(slug: str, scopes: tuple[str, ...], name: str) -> None:
    """Create an API key and print it (once: it is stored only as a hash)."""

    async def work(s: Sessions) -> str:
        return (await (await _keys_for(s, slug)).create(name, list(scopes))).key

    click.echo(_with_sessions(work))


@keys.command("list")
@click.option("--district", "slug", required=True, help="District slug.")
def keys_list(slug: str) -> None:
    """List a district's keys (prefix, scopes, created, last used, revoked)."""

    async def work(s: Sessions) -> None:
        for k in await (await _keys_for(s, slug)).list():
            click.echo(
                f"{k.id}\tfo_{k.prefix}_…\t{' '.join(k.scopes)}\t{k.created_at:%Y-%m-%d}\t"
                f"used {k.last_used_at or '-'}\trevoked {k.revoked_at or '-'}"
            )

    _with_sessions(work)


@keys.command("revoke")
@click.option("--district", "slug", required=True, help="District slug.")
@click.argument("key_id", type=click.UUID)
def keys_revoke(slug: str, key_id: uuid.UUID) -> None:
    """Revoke a key by id."""

    async def work(s: Sessions) -> None:
        await (await _keys_for(s, slug)).revoke(key_id)

    _with_sessions(work)
    click.echo(f"revoked {key_id}")


def _check_or_exit(
    content_dir: Path,
    report: Callable[[str], None] = lambda line: click.echo(line, err=True),
    *,
    warnings_fail: bool = False,
) -> None:
    """Report every problem; exit on an error, and on a warning too when `warnings_fail` (the
    author's check), but not when publishing or serving, which content with warnings can do.
    The instruments (feedback card, exit-interview guide, family survey, secret-shopper
    rubrics) are checked too; their problems are errors."""
    problems = check_content(content_dir)
    card_problems = [*check_card(content_dir), *check_measures(content_dir)]
    for problem in [*map(str, problems), *card_problems]:
        report(problem)
    failing = [p for p in problems if warnings_fail or p.severity == "error"]
    if failing or card_problems:
        raise click.ClickException(f"{len(problems)} problem(s) in {content_dir}/; fix them and try again.")


@main.group()
def content() -> None:
    """Check, publish and describe the course files."""


@content.command("check")
@click.option(
    "--dir",
    "content_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The content folder (default: FRONTOFFICE_CONTENT_DIR or ./content).",
)
def content_check(content_dir: Path | None) -> None:
    """Validate every content file; print each problem with file, path and what to do."""
    folder = content_dir or Settings.from_env().content_path
    _check_or_exit(folder, warnings_fail=True)
    click.echo(f"{folder}/: no problems")


@content.command("publish")
@click.option(
    "--dir",
    "content_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The content folder (default: FRONTOFFICE_CONTENT_DIR or ./content).",
)
def content_publish(content_dir: Path | None) -> None:
    """Store each changed module as a new immutable version; others stay as they are."""
    folder = content_dir or Settings.from_env().content_path
    _check_or_exit(folder)
    bundle = load_course(folder)
    result = _with_sessions(lambda s: publish(s, bundle), migrate=True)
    for module_id, version in result.new_versions:
        click.echo(f"published {module_id} version {version}")
    click.echo(f"{len(result.new_versions)} new version(s), {len(result.unchanged)} module(s) unchanged")


@content.command("schemas")
def content_schemas() -> None:
    """Write the JSON Schemas of the content files to schemas/json/ (for editor validation)."""
    for path in write_json_schemas():
        click.echo(f"wrote {path}")


@main.command()
def worker() -> None:
    """Deliver the outbox until stopped (SIGTERM/SIGINT); run as many as you like on PostgreSQL."""
    import signal

    from api.metrics import Metrics
    from api.outbox.dispatcher import Dispatcher
    from api.plugin import load_plugins
    from api.runtime import open_runtime
    from api.sweeps import runtime_sweeps

    configure_logging("INFO")
    with _start_failures_logged():
        settings = Settings.from_env()
    configure_logging(settings.log_level)
    plugins = load_plugins(settings.plugins or None)
    metrics = Metrics.for_process()
    for plugin in plugins.values():
        plugin.metrics(metrics.registry)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        # The worker migrates and publishes nothing: `serve` or `migrate` does that.
        async with open_runtime(settings, plugins, migrate=False, publish=False) as runtime:
            context = runtime.context()
            log.info(f"worker delivering for plugins: {', '.join(plugins) or 'none'}")
            await Dispatcher.configured(context, plugins, runtime_sweeps(runtime), metrics).run(stop)

    stop_metrics = None
    if settings.worker_metrics_port:
        stop_metrics = metrics.serve(settings.worker_metrics_port, settings.host)
        log.info(f"worker metrics on http://{settings.host}:{settings.worker_metrics_port}/metrics")
    try:
        asyncio.run(run())
    finally:
        if stop_metrics is not None:
            stop_metrics()


@main.group()
def roster() -> None:
    """A district's staff roster (HR's employees, schools and roles)."""


@roster.command("import")
@click.option("--district", "slug", required=True, help="District slug.")
@click.option("--partial", is_flag=True, help="Import the valid rows even if some rows are bad.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def roster_import(slug: str, partial: bool, file: Path) -> None:
    """Upsert the roster from a CSV file with a header row; prints each bad row's problem."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 (byte {exc.start}); save it as UTF-8.") from None

    async def work(s: Sessions) -> RosterImportResult:
        district = await DistrictService(s).by_slug(slug)
        return await RosterService(s, district.id).import_csv(text, partial)

    result = _with_sessions(work)
    for error in result.errors:
        click.echo(f"{file}:{error.line}: {error.field or 'row'}: {error.problem}", err=True)
    click.echo(
        f"created {result.created}, updated {result.updated}, rejected {result.rejected}"
        + ("" if result.imported else "; nothing imported (fix the rows, or pass --partial)")
    )
    if not result.imported:
        raise SystemExit(1)


@roster.command("oneroster")
@click.option("--district", "slug", required=True, help="District slug.")
@click.option("--partial", is_flag=True, help="Import the valid staff even if some lines are bad.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def roster_oneroster(slug: str, partial: bool, file: Path) -> None:
    """Upsert the roster's staff from a OneRoster 1.1/1.2 CSV bundle (zip), as
    POST /api/v1/roster/oneroster does; prints each problem's file, line and column."""
    data = file.read_bytes()

    async def work(s: Sessions) -> OneRosterImportResult:
        district = await DistrictService(s).by_slug(slug)
        try:
            return await RosterService(s, district.id).import_oneroster(data, partial)
        except FrontOfficeError as exc:
            # Each problem on its own line; the detail follows as the command's error.
            for error in exc.errors or []:
                click.echo(f"{file}: {error.field}: {error.message}", err=True)
            raise

    result = _with_sessions(work)
    for line in result.errors:
        click.echo(f"{file}: {line.file} line {line.line}: {line.field or 'row'}: {line.problem}", err=True)
    click.echo(
        f"OneRoster {result.version}: created {result.created}, updated {result.updated}, "
        f"skipped {result.skipped} (not staff), rejected {result.rejected}"
    )


if __name__ == "__main__":
    main()
