"""The staff roster from OneRoster 1.1 and 1.2 CSV bundles: staff kept, students dropped,
schools mapped; each kind of bad bundle a 4xx naming file and line, with nothing written."""

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Sessions
from tests.conftest import Tenant, make_tenant
from tests.hr.oneroster_seed import BAD_EMAIL, MANIFEST_11, ORGS, ROLES, USERS_11, bundle, v11, v12

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]


async def post(client: Client, tenant: Tenant, body: bytes, partial: bool = False) -> httpx.Response:
    return await client.post(
        "/api/v1/roster/oneroster" + ("?partial=true" if partial else ""),
        content=body,
        headers={**tenant.headers, "Content-Type": "application/zip"},
    )


async def roster(client: Client, tenant: Tenant) -> dict[str, dict[str, str]]:
    response = await client.get("/api/v1/roster", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return {
        e["employee_id"]: {
            k: e[k] for k in ("name", "email", "school_code", "school_name", "role_code", "status")
        }
        for e in response.json()["items"]
    }


async def test_oneroster_11_keeps_staff_with_schools(client: Client, district_a: Tenant) -> None:
    response = await post(client, district_a, bundle(v11()))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "version": "1.1",
        "created": 3,
        "updated": 0,
        "skipped": 2,
        "rejected": 0,
        "errors": [],
    }
    assert await roster(client, district_a) == {
        "E100": {
            "name": "Ana Ruiz",
            "email": "ana@district.org",
            "school_code": "LIN",  # the org's identifier
            "school_name": "Lincoln Elementary",
            "role_code": "teacher",
            "status": "active",
        },
        "u2": {  # no identifier: the sourcedId; the district org is passed over for the school
            "name": "Bo Chen",
            "email": "bo@district.org",
            "school_code": "s2",  # a school without an identifier: its sourcedId
            "school_name": "Washington Middle",
            "role_code": "administrator",
            "status": "active",
        },
        "E300": {
            "name": "Cy Diaz",
            "email": "cy@district.org",
            "school_code": "LIN",
            "school_name": "Lincoln Elementary",
            "role_code": "aide",
            "status": "inactive",  # enabledUser false
        },
    }
    again = await post(client, district_a, bundle(v11(**{"users.csv": USERS_11.replace("Ruiz", "Ruiz-Lee")})))
    assert again.json()["created"] == 0 and again.json()["updated"] == 3


async def test_oneroster_12_keeps_staff_by_role(client: Client, district_a: Tenant) -> None:
    response = await post(client, district_a, bundle(v12()))
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["version"], result["created"], result["skipped"], result["errors"]) == ("1.2", 4, 2, [])
    got = await roster(client, district_a)
    assert set(got) == {"E100", "E200", "u3", "E600"}
    assert got["E100"]["school_code"] == "LIN" and got["E100"]["role_code"] == "teacher"
    # A district administrator's org is the district: no school.
    assert (got["E200"]["school_code"], got["E200"]["role_code"]) == ("", "districtAdministrator")
    # The primary staff role wins over a secondary one.
    assert (got["u3"]["school_code"], got["u3"]["role_code"]) == ("s2", "counselor")
    assert got["E600"]["status"] == "terminated"  # tobedeleted


async def test_oneroster_leaves_other_districts_alone(
    client: Client, district_a: Tenant, district_b: Tenant
) -> None:
    await post(client, district_b, bundle(v11(**{"users.csv": USERS_11.replace("Ana", "Anna")})))
    before = await roster(client, district_b)
    response = await post(client, district_a, bundle(v12()))
    assert response.status_code == 200
    assert await roster(client, district_b) == before
    assert (
        before["E100"]["name"] == "Anna Ruiz"
        and (await roster(client, district_a))["E100"]["name"] == "Ana Ruiz"
    )


BAD_CASES = [
    pytest.param(bundle({"manifest.csv": MANIFEST_11, "orgs.csv": ORGS}), "users.csv", id="missing-users"),
    pytest.param(bundle({"orgs.csv": ORGS, "users.csv": USERS_11}), "manifest.csv", id="missing-manifest"),
    pytest.param(
        bundle(v12(**{"roles.csv": ROLES.replace("roleType", "kind")})),
        "roles.csv line 1: $.roleType",
        id="bad-header",
    ),
    pytest.param(
        bundle(v11(**{"users.csv": USERS_11.replace(",email,", ",mail,")})),
        "users.csv line 1: $.email",
        id="bad-header-11",
    ),
    pytest.param(
        bundle(v11(**{"users.csv": USERS_11.replace('"d1,s2"', '"d1,s9"')})),
        "users.csv line 3: $.orgSourcedIds",
        id="unknown-org-11",
    ),
    pytest.param(
        bundle(
            v12(
                **{
                    "roles.csv": ROLES.replace(
                        "r4,,,u3,primary,counselor,,,s2", "r4,,,u3,primary,counselor,,,s9"
                    )
                }
            )
        ),
        "roles.csv line 5: $.orgSourcedId",
        id="unknown-org-12",
    ),
    pytest.param(
        bundle(v11(**{"users.csv": USERS_11.replace("u3,,,false", "u1,,,false")})),
        "users.csv line 4: $.sourcedId",
        id="duplicate-user",
    ),
    pytest.param(
        bundle(v11(**{"orgs.csv": ORGS.replace("s2,,,Washington", "s1,,,Washington")})),
        "orgs.csv line 4: $.sourcedId",
        id="duplicate-org",
    ),
    pytest.param(
        bundle(v11(**{"users.csv": BAD_EMAIL})),
        "users.csv line 4: $.email",
        id="bad-email",
    ),
    pytest.param(
        bundle(v11(**{"users.csv": USERS_11.replace(",E300,", ",E100,")})),
        "users.csv line 4: $.identifier",
        id="duplicate-identifier",
    ),
    pytest.param(
        bundle(v11(**{"manifest.csv": MANIFEST_11.replace("version,1.1", "version,1.0")})),
        "manifest.csv line 3: $.value",
        id="wrong-version",
    ),
    pytest.param(
        bundle(v11(**{"manifest.csv": MANIFEST_11.replace("file.users,bulk", "file.users,delta")})),
        "manifest.csv line 6: $.value",
        id="delta",
    ),
    pytest.param(b"employee_id,name\nE1,Ana\n", "not a zip", id="not-a-zip"),
    pytest.param(
        bundle(v11(**{"users.csv": USERS_11.replace("Cy,Diaz", "Cy\0,Diaz")})),
        "users.csv line 4",
        id="nul-in-csv",
    ),
    pytest.param(bundle(v11(**{"../users.csv": USERS_11})), "outside the bundle", id="path-traversal"),
    pytest.param(
        bundle(v11(**{f"extra{i}.csv": "x\n" for i in range(70)})), "at most 64", id="too-many-files"
    ),
    pytest.param(
        bundle(v11(**{"enrollments.csv": "\0" * (4 * 1024 * 1024)})), "not a plain OneRoster", id="zip-bomb"
    ),
]


@pytest.mark.parametrize(("body", "named"), BAD_CASES)
async def test_bad_bundle_is_422_and_writes_nothing(
    client: Client, district_a: Tenant, body: bytes, named: str
) -> None:
    # Each bundle would otherwise rename E100 and add others: the roster must stay as it was.
    seeded = await client.put(
        "/api/v1/roster",
        content=b"employee_id,name,email\nE100,Old Name,old@district.org\n",
        headers={**district_a.headers, "Content-Type": "text/csv"},
    )
    assert seeded.json()["created"] == 1
    before = await roster(client, district_a)
    response = await post(client, district_a, body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    fields = [e["field"] for e in problem.get("errors") or []]
    assert named in problem["detail"] or named in fields, problem
    assert await roster(client, district_a) == before


async def test_row_problems_name_the_line_and_partial_imports_the_rest(
    client: Client, district_a: Tenant
) -> None:
    users = BAD_EMAIL.replace('"d1,s2"', '"d1,s9"')
    response = await post(client, district_a, bundle(v11(**{"users.csv": users})))
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"].startswith("2 problems in the OneRoster bundle, so nothing was imported")
    assert [e["field"] for e in problem["errors"]] == [
        "users.csv line 3: $.orgSourcedIds",
        "users.csv line 4: $.email",
    ]
    assert "'cy at district' is not an email address" in problem["errors"][1]["message"]
    assert await roster(client, district_a) == {}
    partial = await post(client, district_a, bundle(v11(**{"users.csv": users})), partial=True)
    assert partial.status_code == 200
    result = partial.json()
    assert (result["created"], result["rejected"], result["skipped"]) == (1, 2, 2)
    assert [(e["file"], e["line"], e["field"]) for e in result["errors"]] == [
        ("users.csv", 3, "$.orgSourcedIds"),
        ("users.csv", 4, "$.email"),
    ]
    assert set(await roster(client, district_a)) == {"E100"}


async def test_oneroster_needs_admin_a_zip_and_a_bounded_body(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    reader = await make_tenant(sessions, "district-r", ["hr:read"])
    assert (await post(client, reader, bundle(v11()))).status_code == 403
    wrong_type = await client.post(
        "/api/v1/roster/oneroster",
        content=USERS_11.encode(),
        headers={**district_a.headers, "Content-Type": "text/csv"},
    )
    assert wrong_type.status_code == 415
    too_big = await post(client, district_a, b"PK" + b"\0" * (16 * 1024 * 1024))
    assert too_big.status_code == 413
    assert await roster(client, district_a) == {}
