"""Alembic environment: runs on the connection `api.migrate` hands over, or on its own engine
when called as `alembic -c api/migrations/alembic.ini ...` by a developer (autogenerate)."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from api.db import create_engine
from api.models import Base
from api.settings import Settings


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    engine = create_engine(Settings.from_env().database_url)
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_standalone())
