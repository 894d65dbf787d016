"""`frontoffice lti ...`: import registrations from a file, list them, rotate the tool key."""

from pathlib import Path

import click

from plugins.contract import (
    FrontOfficeError,
    Sessions,
    district_id_of,
    run_with_sessions,
    secret_box,
)
from plugins.lti.keys import ToolKeys
from plugins.lti.registrations import Registrations, read_import_file


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
        district_id = await district_id_of(sessions, slug)
        created, updated = await Registrations(sessions, district_id).import_file(data)
        click.echo(f"{created} registration(s) created, {updated} updated for {slug}")

    run_with_sessions(work, migrate=True)


@lti.command("list")
@click.option("--district", "slug", required=True, help="District slug.")
def list_(slug: str) -> None:
    """List a district's platform registrations."""

    async def work(sessions: Sessions) -> None:
        for r in await Registrations(sessions, await district_id_of(sessions, slug)).all():
            deployments = ",".join(r.deployment_ids)
            click.echo(f"{r.id}  {r.issuer}  client_id={r.client_id}  deployments={deployments}")

    run_with_sessions(work, migrate=True)


@lti.command("rotate-key")
def rotate_key() -> None:
    """Sign with a new tool key from now on; the old one stays published for two days."""

    async def work(sessions: Sessions) -> None:
        kid = await ToolKeys(sessions, await secret_box(sessions)).rotate()
        click.echo(f"the tool now signs with key {kid}")

    run_with_sessions(work, migrate=True)
