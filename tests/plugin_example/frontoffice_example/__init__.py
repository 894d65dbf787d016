"""An example third-party plugin: appends every completion it receives to a file its district
configures (once per delivery, kept by a table of its own with its own migrations), and
authenticates with a secret it never sees in clear in the API."""

import asyncio
import json
from pathlib import Path
from typing import ClassVar

import click
import msgspec

from frontoffice_example.models import ExampleReceipt
from plugins.contract import Context, Delivery, Outcome, Plugin, SecretStr, load_config


class ExampleConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    inbox: str
    """File the completions are appended to (JSON lines)."""
    token: SecretStr
    """A credential for the imaginary district system."""


class ExamplePlugin(Plugin):
    name: ClassVar[str] = "example"
    config_type: ClassVar[type[msgspec.Struct]] = ExampleConfig
    events: ClassVar[frozenset[str]] = frozenset({"completion.recorded"})
    migrations: ClassVar[Path | None] = Path(__file__).parent / "migrations"

    def cli(self) -> click.Group:
        @click.group(name=self.name)
        def example() -> None:
            """The example plugin's commands."""

        @example.command()
        def hello() -> None:
            """Say that the plugin's commands are wired in."""
            click.echo("hello from the example plugin")

        return example

    async def deliver(self, context: Context, delivery: Delivery) -> Outcome:
        config = await load_config(context.sessions, context.secret_box, self, delivery.district_id)
        if not isinstance(config, ExampleConfig):
            return Outcome(result="retry", error="not configured")
        line = {"event": msgspec.to_builtins(delivery.event), "token_seen": config.token}
        async with context.sessions.begin() as session:
            if await session.get(ExampleReceipt, delivery.id) is not None:
                return Outcome(result="success", status_code=200)  # appended on an earlier attempt
            session.add(ExampleReceipt(delivery_id=delivery.id, district_id=delivery.district_id))
            await session.flush()  # a concurrent attempt's receipt stops this one before the append
            await asyncio.to_thread(_append, Path(config.inbox), json.dumps(line))
        return Outcome(result="success", status_code=200)


def _append(path: Path, text: str) -> None:
    with path.open("a") as inbox:
        inbox.write(text + "\n")
