"""Every error is an RFC 9457 problem; bad input changes nothing."""

import pytest
from litestar import Litestar, get
from litestar.exceptions import NotAuthorizedException
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.db import Sessions
from api.models import ApiKey
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert isinstance(body["detail"], str) and len(body["detail"]) > 10
    return body


async def key_count(sessions: Sessions) -> int:
    async with sessions() as session:
        return (await session.execute(select(func.count()).select_from(ApiKey))).scalar_one()


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"name": "x", "scopes": ["admin"]', "application/json", 400),  # malformed JSON
        (b'{"name": "x", "scopes": ["admin"]}', "text/plain", 415),  # wrong content type
        (
            b'{"name": "x", "scopes": ["admin"], "pad": "' + b"a" * (2 * 1024 * 1024) + b'"}',
            "application/json",
            413,
        ),  # 2 MiB body
        (b'{"name": "x", "scopes": ["admin"], "extra": 1}', "application/json", 400),  # unknown field
        (b'{"name": "", "scopes": ["admin"]}', "application/json", 400),  # empty name
        (b"[]", "application/json", 400),  # wrong type
    ],
)
async def test_bad_bodies_get_problems_and_write_nothing(
    client: Client, sessions: Sessions, district_a: Tenant, body: bytes, content_type: str, status: int
) -> None:
    before = await key_count(sessions)
    response = await client.post(
        "/api/v1/keys", content=body, headers={**district_a.headers, "Content-Type": content_type}
    )
    assert_problem(response, status)
    assert await key_count(sessions) == before


async def test_validation_problem_names_the_field(client: Client, district_a: Tenant) -> None:
    response = await client.post(
        "/api/v1/keys", json={"name": "x", "scopes": "admin"}, headers=district_a.headers
    )
    body = assert_problem(response, 400)
    assert body["errors"] == [{"field": "$.scopes", "message": "Expected `array`, got `str`"}]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("facilitator", 0, "Expected `bool`, got `int`"),
        ("ttl_minutes", "480", "Expected `int`, got `str`"),
    ],
)
async def test_bodies_are_typed_strictly(
    client: Client, district_a: Tenant, field: str, value: object, message: str
) -> None:
    """JSON has booleans and numbers: a `0` for `false` or a `"480"` for `480` is a client bug."""
    body = {"learner": {"external_id": "emp-1"}, field: value}
    response = await client.post("/api/v1/learner-tokens", json=body, headers=district_a.headers)
    problem = assert_problem(response, 400)
    assert problem["errors"] == [{"field": f"$.{field}", "message": message}]


async def test_unknown_route_and_wrong_method(client: Client, district_a: Tenant) -> None:
    body = assert_problem(await client.get("/api/v1/nothing-here"), 404)
    assert body["instance"] == "/api/v1/nothing-here"
    assert_problem(await client.put("/api/v1/keys", headers=district_a.headers), 405)


async def test_problem_types_are_described(client: Client) -> None:
    response = await client.get("/problems/not-found")
    assert response.status_code == 200 and response.json()["type"] == "/problems/not-found"
    assert_problem(await client.get("/problems/no-such-type"), 404)


@pytest.mark.own_app  # it adds a route to its app
async def test_unexpected_error_is_500_without_internals_and_logged_with_request_id(
    app: Litestar, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    @get("/boom", opt={"exclude_from_auth": True}, include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    app.register(boom)
    response = await client.get("/boom", headers={"X-Request-ID": "req-12345678"})
    body = assert_problem(response, 500)
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert body["request_id"] == "req-12345678" == response.headers["x-request-id"]
    logged = [r for r in caplog.records if r.name == "frontoffice.errors"]
    assert logged and logged[0].request_id == "req-12345678"
    assert "hunter2" in caplog.text  # the cause is in the log, for the operator


@pytest.mark.own_app  # it adds a route to its app
async def test_a_401_from_litestar_challenges_too(app: Litestar, client: Client) -> None:
    @get("/locked", opt={"exclude_from_auth": True}, include_in_schema=False)
    async def locked() -> None:
        raise NotAuthorizedException()

    app.register(locked)
    response = await client.get("/locked")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="frontoffice"'


async def test_every_response_has_a_request_id(client: Client) -> None:
    for path in ("/healthz", "/nothing", "/api/v1/keys"):
        assert len((await client.get(path)).headers["x-request-id"]) >= 8
    # A malformed incoming id is replaced, not echoed.
    response = await client.get("/healthz", headers={"X-Request-ID": "bad id;<script>"})
    assert response.headers["x-request-id"] != "bad id;<script>"


async def test_nul_anywhere_is_a_422_naming_where_and_changes_nothing(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    """PostgreSQL's text can't hold NUL: refused at the wire, alike on both databases."""
    before = await key_count(sessions)
    created = await client.post(
        "/api/v1/keys", json={"name": "a\u0000b", "scopes": ["admin"]}, headers=district_a.headers
    )
    body = assert_problem(created, 422)
    assert body["errors"] == [{"field": "$.name", "message": body["errors"][0]["message"]}]  # type: ignore[index]
    assert "NUL" in str(body["errors"])
    token = await client.post(
        "/api/v1/learner-tokens",
        json={"learner": {"external_id": "emp-1", "name": "Jo"}, "cohort": "fall\u0000"},
        headers=district_a.headers,
    )
    assert assert_problem(token, 422)["errors"][0]["field"] == "$.cohort"  # type: ignore[index]
    roster = await client.put(
        "/api/v1/roster",
        content=b"employee_id,name\n1,Jo\n2,A\x00B\n",
        headers={**district_a.headers, "Content-Type": "text/csv"},
    )
    assert assert_problem(roster, 422)["errors"][0]["field"] == "body line 3"  # type: ignore[index]
    for path in (
        "/verify/a%00b",
        "/api/v1/completions?school=a%00b",
        "/api/v1/modules/who-are-our-customers%00",
        "/api/v1/reports/modules/x/forms/y/items/z%00/combined",
    ):
        response = await client.get(path, headers=district_a.headers)
        assert assert_problem(response, 422)["errors"], path
    malformed_key = {"Authorization": "Bearer fo_abc\u0000defghijk_secret"}
    assert_problem(await client.get("/api/v1/keys", headers=malformed_key), 401)
    assert await key_count(sessions) == before
