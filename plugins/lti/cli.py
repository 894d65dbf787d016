"""`frontoffice lti ...`: import registrations from a file, list them, rotate the tool key."""

from collections.abc import Awaitable, Callable
from pathlib import Path

import click

from api.admin.services import DistrictService
from api.crypto import SecretBox
from api.db import Sessions
from api.errors import FrontOfficeError
from api.progress.tokens import TokenKey
from api.settings import Settings
from plugins.lti.keys import ToolKeys
from plugins.lti.registrations import Registrations, read_import_file


def _run(work: Callable[[Sessions], Awaitable[None]]) -> None:
    from api.cli import _with_sessions

    _with_sessions(work, migrate=True)


@click.group()
def lti() -> None:
    """LTI 1.3: platform registrations and the tool's keys."""


@lti.command("import")
@click.option("--district", "slug", required=True, help="District slug.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(slug: str, file: Path) -> None:
    """Create or update the registrations listed in a JSON or TOML FILE."""
    try:
        data = read_import_file(file)
    except FrontOfficeError as exc:
        raise click.ClickException(exc.detail) from None

    async def work(sessions: Sessions) -> None:
        district = await DistrictService(sessions).by_slug(slug)
        created, updated = await Registrations(sessions, district.id).import_file(data)
        click.echo(f"{created} registration(s) created, {updated} updated for {slug}")

    _run(work)


@lti.command("list")
@click.option("--district", "slug", required=True, help="District slug.")
def list_(slug: str) -> None:
    """List a district's platform registrations."""

    async def work(sessions: Sessions) -> None:
        district = await DistrictService(sessions).by_slug(slug)
        for r in await Registrations(sessions, district.id).all():
            deployments = ",".join(r.deployment_ids)
            click.echo(f"{r.id}  {r.issuer}  client_id={r.client_id}  deployments={deployments}")

    _run(work)


@lti.command("rotate-key")
def rotate_key() -> None:
    """Sign with a new tool key from now on; the old one stays published for two days."""

    async def work(sessions: Sessions) -> None:
        key = await TokenKey(sessions, Settings.from_env().secret_key).get()
        kid = await ToolKeys(sessions, SecretBox(key, "plugin-secrets")).rotate()
        click.echo(f"the tool now signs with key {kid}")

    _run(work)
