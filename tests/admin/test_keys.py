"""API keys: stored hashed, scoped, revocable, and never visible across districts."""

import hashlib
from typing import get_args

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.db import Sessions
from api.identity.auth import ALL_KEY_SCOPES
from api.models import ApiKey
from schemas.admin import ScopeName
from tests.conftest import Tenant, make_tenant

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]


async def test_key_is_shown_once_and_stored_only_as_a_hash(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    response = await client.post(
        "/api/v1/keys", json={"name": "hr sync", "scopes": ["hr:read"]}, headers=district_a.headers
    )
    assert response.status_code == 201
    body = response.json()
    key = body["key"]
    assert key.startswith(f"fo_{body['api_key']['prefix']}_")
    async with sessions() as session:
        row = (
            await session.execute(select(ApiKey).where(ApiKey.prefix == body["api_key"]["prefix"]))
        ).scalar_one()
        assert row.secret_hash == hashlib.sha256(key.encode()).hexdigest()
        stored = [str(v) for v in (row.id, row.prefix, row.secret_hash, row.name, row.scopes)]
        assert all(key not in value for value in stored)
    listed = (await client.get("/api/v1/keys", headers=district_a.headers)).json()
    assert [k["name"] for k in listed] == ["test", "hr sync"]
    assert key not in (await client.get("/api/v1/keys", headers=district_a.headers)).text
    # The new key works, with just its scope.
    assert (await client.get("/api/v1/keys", headers={"Authorization": f"Bearer {key}"})).status_code == 403


async def test_revoked_key_is_401(client: Client, district_a: Tenant) -> None:
    created = (
        await client.post(
            "/api/v1/keys", json={"name": "old", "scopes": ["admin"]}, headers=district_a.headers
        )
    ).json()
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert (await client.get("/api/v1/district", headers=headers)).status_code == 200
    revoked = await client.delete(f"/api/v1/keys/{created['api_key']['id']}", headers=district_a.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    response = await client.get("/api/v1/district", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "revoked" in response.json()["detail"]
    assert response.headers["www-authenticate"] == (
        'Bearer realm="frontoffice", error="invalid_token", '
        'error_description="The API key has been revoked; ask your administrator for a new one."'
    )


@pytest.mark.parametrize(
    ("header", "token_sent"),
    [
        (None, False),
        ("Bearer", False),
        ("Bearer nonsense", True),
        ("Basic abc", False),
        ("Bearer fo_000000000000_x", True),
    ],
)
async def test_missing_or_bad_key_is_401(
    client: Client, district_a: Tenant, header: str | None, token_sent: bool
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = await client.get("/api/v1/keys", headers=headers)
    assert response.status_code == 401
    problem = response.json()
    assert problem["status"] == 401 and problem["type"] == "/problems/unauthorized" and problem["detail"]
    # RFC 6750 §3: every 401 challenges for a bearer token; `invalid_token` only when one was sent.
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="frontoffice"')
    assert ('error="invalid_token"' in challenge) is token_sent


async def test_key_without_scope_is_403(client: Client, sessions: Sessions) -> None:
    reader = await make_tenant(sessions, "reader", ["content:read"])
    response = await client.get("/api/v1/keys", headers=reader.headers)
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]


async def test_last_used_is_recorded(client: Client, district_a: Tenant) -> None:
    listed = (await client.get("/api/v1/keys", headers=district_a.headers)).json()
    assert listed[0]["last_used_at"] is not None


async def test_other_districts_keys_are_404(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    b_keys = (await client.get("/api/v1/keys", headers=district_b.headers)).json()
    b_key_id = b_keys[0]["id"]
    assert (await client.get(f"/api/v1/keys/{b_key_id}", headers=district_a.headers)).status_code == 404
    response = await client.delete(f"/api/v1/keys/{b_key_id}", headers=district_a.headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    a_keys = (await client.get("/api/v1/keys", headers=district_a.headers)).json()
    assert b_key_id not in {k["id"] for k in a_keys}
    # B's key still works: A's attempt changed nothing.
    assert (await client.get(f"/api/v1/keys/{b_key_id}", headers=district_b.headers)).json()[
        "revoked_at"
    ] is None
    district = (await client.get("/api/v1/district", headers=district_a.headers)).json()
    assert district["slug"] == "district-a"


async def test_invalid_scope_is_a_validation_problem(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    response = await client.post(
        "/api/v1/keys", json={"name": "x", "scopes": ["root"]}, headers=district_a.headers
    )
    assert response.status_code == 400
    problem = response.json()
    assert problem["errors"][0]["field"] == "$.scopes[0]"
    async with sessions() as session:
        assert (await session.execute(select(func.count()).select_from(ApiKey))).scalar_one() == 1


async def test_a_key_grants_only_scopes_it_holds(client: Client, sessions: Sessions) -> None:
    admin_only = await make_tenant(sessions, "admin-only", ["admin"])
    before = (await client.get("/api/v1/keys", headers=admin_only.headers)).json()
    refused = await client.post(
        "/api/v1/keys", json={"name": "wider", "scopes": ["admin", "hr:read"]}, headers=admin_only.headers
    )
    assert refused.status_code == 403 and "hr:read" in refused.json()["detail"]
    assert (await client.get("/api/v1/keys", headers=admin_only.headers)).json() == before
    same = await client.post(
        "/api/v1/keys", json={"name": "another admin", "scopes": ["admin"]}, headers=admin_only.headers
    )
    assert same.status_code == 201


async def test_the_last_admin_key_is_not_revoked_through_the_api(client: Client, district_a: Tenant) -> None:
    keys = (await client.get("/api/v1/keys", headers=district_a.headers)).json()
    (own,) = keys
    refused = await client.delete(f"/api/v1/keys/{own['id']}", headers=district_a.headers)
    assert refused.status_code == 409 and "last admin key" in refused.json()["detail"]
    assert (await client.get("/api/v1/keys", headers=district_a.headers)).json() == keys
    second = (
        await client.post(
            "/api/v1/keys", json={"name": "second admin", "scopes": ["admin"]}, headers=district_a.headers
        )
    ).json()
    revoked = await client.delete(f"/api/v1/keys/{own['id']}", headers=district_a.headers)
    assert revoked.status_code == 200
    successor = {"Authorization": f"Bearer {second['key']}"}
    last = await client.delete(f"/api/v1/keys/{second['api_key']['id']}", headers=successor)
    assert last.status_code == 409


def test_the_wire_names_every_key_scope_in_order() -> None:
    """`ScopeName` (the OpenAPI enum) is spelled out for the document; it must be the scopes a
    key may hold, in their order."""
    assert list(get_args(ScopeName)) == ALL_KEY_SCOPES
