"""`frontoffice roster import` and `roster oneroster`: per-row errors and nothing imported by
default, `--partial`."""

import asyncio
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from api.cli import main as cli
from api.db import create_engine, create_sessions
from api.models import RosterEmployee
from tests.hr.oneroster_seed import BAD_EMAIL, bundle, v11


def roster_ids(url: str) -> list[str]:
    async def read() -> list[str]:
        engine = create_engine(url)
        async with create_sessions(engine)() as session:
            ids = list((await session.execute(select(RosterEmployee.employee_id))).scalars())
        await engine.dispose()
        return sorted(ids)

    return asyncio.run(read())


def test_roster_import_command(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"FRONTOFFICE_DATABASE_URL": database_url}
    created = runner.invoke(cli, ["districts", "create", "cli-d", "--name", "CLI District"], env=env)
    assert created.exit_code == 0, created.output
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "employee_id,name,email\nE1,Ana,ana@d.org\nE2,,bo@d.org\nE3,Cy,cy@d.org\n", encoding="utf-8"
    )
    args = ["roster", "import", "--district", "cli-d", str(roster)]
    refused = runner.invoke(cli, args, env=env)
    assert refused.exit_code == 1 and f"{roster}:3: name:" in refused.output
    assert "nothing imported" in refused.output and roster_ids(database_url) == []
    partial = runner.invoke(cli, [*args, "--partial"], env=env)
    assert partial.exit_code == 0 and "created 2, updated 0, rejected 1" in partial.output
    assert roster_ids(database_url) == ["E1", "E3"]


def test_roster_oneroster_command(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"FRONTOFFICE_DATABASE_URL": database_url}
    created = runner.invoke(cli, ["districts", "create", "cli-o", "--name", "CLI District"], env=env)
    assert created.exit_code == 0, created.output
    zipped = tmp_path / "oneroster.zip"
    zipped.write_bytes(bundle(v11(**{"users.csv": BAD_EMAIL})))
    args = ["roster", "oneroster", "--district", "cli-o", str(zipped)]
    refused = runner.invoke(cli, args, env=env)
    assert refused.exit_code == 1 and f"{zipped}: users.csv line 4: $.email:" in refused.output
    assert "nothing was imported" in refused.output and roster_ids(database_url) == []
    partial = runner.invoke(cli, [*args, "--partial"], env=env)
    assert partial.exit_code == 0, partial.output
    assert "OneRoster 1.1: created 2, updated 0, skipped 2 (not staff), rejected 1" in partial.output
    assert roster_ids(database_url) == ["E100", "u2"]
