"""A console served for browser tests: a player server whose district signs in through the
loopback OpenID provider, and the role rules it is given."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.console.idp import Provider
from tests.player.conftest import PlayerServer, database_copy, serving

ADMIN = {"sub": "u-1", "name": "Ada Admin", "email": "ada@district-a.org", "email_verified": True}
ADMIN_ROLE = {"role": "district_admin", "email": ADMIN["email"]}


@contextmanager
def console_serving(
    template: Path,
    factory: pytest.TempPathFactory,
    idp: Provider,
    slug: str,
    roles: list[dict[str, Any]],
    **env: str,
) -> Iterator[PlayerServer]:
    """A server of district `slug` whose console signs in through `idp` with `roles`."""
    with serving(
        database_copy(template, factory, slug),
        slug,
        FRONTOFFICE_CONSOLE_ALLOW_HTTP="true",  # the test provider speaks plain http on loopback
        FRONTOFFICE_OUTBOUND_ALLOWLIST="127.0.0.1",
        **env,
    ) as server:
        idp.client.redirect_uri = f"{server.url}/console/callback"
        body = {
            "issuer": idp.issuer,
            "client_id": "console-client",
            "client_secret": "console-secret",
            "allowed_domains": ["district-a.org"],
            "roles": roles,
        }
        response = server.http.put("/api/v1/console/provider", json=body, headers=server.tenant.headers)
        assert response.status_code == 200, response.text
        yield server
