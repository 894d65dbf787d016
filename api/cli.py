"""The `frontoffice` command: serve, migrate, openapi, districts and keys."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
import msgspec

from api.admin.services import DistrictService, KeyService
from api.content.jsonschema import write_json_schemas
from api.content.loader import check_content, load_course
from api.content.publish import publish
from api.db import Sessions, create_engine, create_sessions
from api.errors import FrontOfficeError
from api.hr.roster import RosterService
from api.logs import configure_logging
from api.migrate import upgrade
from api.settings import Settings
from schemas.hr import RosterImportResult

T = TypeVar("T")
ALL_SCOPES = ["admin", "content:read", "content:facilitate", "progress:write", "reports:read", "hr:read"]
DEMO_SLUG = "demo"
OPENAPI_PATH = Path("openapi/openapi.json")


def _with_sessions(work: Callable[[Sessions], Awaitable[T]], *, migrate: bool = False) -> T:
    """Run `work` against the configured database, turning domain errors into CLI errors."""

    async def main() -> T:
        engine = create_engine(Settings.from_env().database_url)
        try:
            if migrate:
                await upgrade(engine)
            return await work(create_sessions(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except FrontOfficeError as exc:
        raise click.ClickException(exc.detail) from None


class _WithPluginCommands(click.Group):
    """The command group, plus each loaded plugin's own group under the plugin's name (looked
    up when a command is asked for, so nothing loads at import)."""

    def _plugin_groups(self) -> dict[str, click.Command]:
        from plugins.registry import load_plugins

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


@click.group(cls=_WithPluginCommands)
def main() -> None:
    """Front Office: training content, learner progress and completions for school districts."""


@main.command()
def migrate() -> None:
    """Bring the database to the newest migration."""
    _with_sessions(lambda _: asyncio.sleep(0), migrate=True)
    click.echo("database is at the newest migration")


async def _demo(sessions: Sessions, secret_key: str) -> tuple[str, str]:
    """The demo district's fresh API key, and a learner token for one of its staff."""
    from api.progress.services import LearnerService
    from api.progress.tokens import TokenKey
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
    return (await keys.create("demo key", ALL_SCOPES)).key


@main.command()
@click.option("--demo", is_flag=True, help="Create the demo district and print a fresh demo API key.")
def serve(demo: bool) -> None:
    """Run the API server (uvicorn with uvloop), migrating an SQLite database first."""
    import uvicorn

    from api.app import create_app

    settings = Settings.from_env()
    if settings.publish_on_start:
        _check_or_exit(settings.content_path)
    if demo:
        key, token = _with_sessions(lambda sessions: _demo(sessions, settings.secret_key), migrate=True)
        base = settings.base_url
        click.echo(
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
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


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
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(ALL_SCOPES))
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


def _check_or_exit(content_dir: Path) -> None:
    problems = check_content(content_dir)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
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
    _check_or_exit(folder)
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

    import httpx

    from api.crypto import SecretBox
    from api.outbox.dispatcher import Dispatcher
    from api.progress.tokens import TokenKey
    from api.ssrf import GuardedTransport
    from plugins.base import Context
    from plugins.registry import load_plugins

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    plugins = load_plugins(settings.plugins or None)

    async def run() -> None:
        engine = create_engine(settings.database_url)
        sessions = create_sessions(engine)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        transport = GuardedTransport(allowlist=list(settings.outbound_allowlist))
        try:
            async with httpx.AsyncClient(
                transport=transport, follow_redirects=False, trust_env=False
            ) as http:
                box = SecretBox(await TokenKey(sessions, settings.secret_key).get(), "plugin-secrets")
                context = Context(
                    sessions=sessions, http=http, transport=transport, settings=settings, secret_box=box
                )
                click.echo(f"worker delivering for plugins: {', '.join(plugins) or 'none'}", err=True)
                await Dispatcher.configured(context, plugins).run(stop)
        finally:
            await engine.dispose()

    asyncio.run(run())


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


if __name__ == "__main__":
    main()
