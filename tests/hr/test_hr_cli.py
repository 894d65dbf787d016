"""`frontoffice roster import`: per-row errors and nothing imported by default, `--partial`."""

import asyncio
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from api.cli import main as cli
from api.db import create_engine, create_sessions
from api.models import RosterEmployee


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
