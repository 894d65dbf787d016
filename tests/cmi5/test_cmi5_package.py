"""The cmi5 package and the launch exchange through their routes, on SQLite and PostgreSQL:
`cmi5.xml` valid against the cmi5 spec's CourseStructure.xsd (tests/cmi5/xsd, see its README),
`moveOn` and `masteryScore` from each module's completion rule, titles in every language, the
actor traded for a learner token keyed by the LMS account, and bad input (another district's
key, a wrong or revoked package key, a malformed actor) refused with nothing written."""

import io
import uuid
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from lxml import etree
from sqlalchemy import func, select

from api.cmi5.package import Rule, rule_of
from api.db import Sessions
from api.models import Cmi5PackageKey, Learner
from schemas.content import AllOf, AnyOf, FormSubmitted, QuizPassed
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]
XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "xsd" / "CourseStructure.xsd")))
NS = {"c": "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"}
KEYS = "/api/v1/cmi5/package-keys"
TOKENS = "/cmi5/learner-tokens"
ACTOR = {
    "objectType": "Agent",
    "name": "Robin Frontdesk",
    "account": {"homePage": "https://lms.example.org", "name": "u-42"},
}


async def package_of(client: Client, tenant: Tenant, name: str = "Moodle") -> tuple[str, etree._Element]:
    created = await client.post(KEYS, json={"name": name}, headers=tenant.headers)
    assert created.status_code == 201, created.text
    key_id = created.json()["id"]
    response = await client.get(f"{KEYS}/{key_id}/package", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == ["cmi5.xml"]
        document = etree.fromstring(archive.read("cmi5.xml"))
    return key_id, document


def package_key(document: etree._Element) -> str:
    url = document.findtext("c:au/c:url", namespaces=NS)
    assert url is not None
    return parse_qs(urlsplit(url).query)["pk"][0]


async def counts(sessions: Sessions) -> tuple[int, int]:
    async with sessions() as session:
        learners = (await session.execute(select(func.count()).select_from(Learner))).scalar_one()
        keys = (await session.execute(select(func.count()).select_from(Cmi5PackageKey))).scalar_one()
    return learners, keys


async def test_the_package_is_valid_cmi5_with_each_modules_rule(client: Client, district_a: Tenant) -> None:
    _, document = await package_of(client, district_a)
    XSD.assertValid(document)
    aus = {au.get("id").rsplit("/", 1)[-1]: au for au in document.findall("c:au", NS)}
    course = await client.get("/api/v1/course", headers=district_a.headers)
    assert list(aus) == [m["id"] for m in course.json()["modules"]]
    module_2 = aus["who-are-our-customers"]  # a worksheet to submit and a knowledge check to pass
    assert (module_2.get("moveOn"), module_2.get("masteryScore")) == ("CompletedAndPassed", "0.8")
    assert aus["skills-self-assessment"].get("moveOn") == "Completed"  # forms to submit only
    assert aus["skills-self-assessment"].get("masteryScore") is None
    titles = {t.get("lang"): t.text for t in module_2.findall("c:title/c:langstring", NS)}
    assert titles == {"en": "Who are our customers?", "es": "¿Quiénes son nuestros clientes?"}
    url = urlsplit(module_2.findtext("c:url", namespaces=NS) or "")
    assert url.path == "/player/cmi5" and parse_qs(url.query)["module"] == ["who-are-our-customers"]
    assert str(district_a.id) in (module_2.get("id") or "")  # activity ids are the district's own


async def test_an_lms_actor_becomes_one_learner_of_the_district(
    client: Client, district_a: Tenant, sessions: Sessions
) -> None:
    _, document = await package_of(client, district_a)
    first = await client.post(TOKENS, json={"package_key": package_key(document), "actor": ACTOR})
    assert first.status_code == 201, first.text
    again = await client.post(TOKENS, json={"package_key": package_key(document), "actor": ACTOR})
    assert again.json()["learner"]["id"] == first.json()["learner"]["id"]
    learner = first.json()["learner"]
    assert learner["name"] == "Robin Frontdesk" and learner["external_id"].startswith("cmi5:")
    assert learner["external_id"].endswith(":u-42")
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {first.json()['token']}"})
    assert me.status_code == 200 and me.json()["id"] == learner["id"]
    async with sessions() as session:
        row = await session.get(Learner, uuid.UUID(learner["id"]))
    assert row is not None and row.district_id == district_a.id
    # Another LMS's account of the same name is another learner.
    other = {**ACTOR, "account": {"homePage": "https://other-lms.example.org", "name": "u-42"}}
    elsewhere = await client.post(TOKENS, json={"package_key": package_key(document), "actor": other})
    assert elsewhere.json()["learner"]["id"] != learner["id"]


async def test_bad_requests_are_refused_with_nothing_written(
    client: Client, district_a: Tenant, district_b: Tenant, sessions: Sessions
) -> None:
    key_id, document = await package_of(client, district_a)
    pk = package_key(document)
    before = await counts(sessions)
    # Another district can neither download, list nor revoke district A's key.
    assert (await client.get(f"{KEYS}/{key_id}/package", headers=district_b.headers)).status_code == 404
    assert (await client.delete(f"{KEYS}/{key_id}", headers=district_b.headers)).status_code == 404
    assert (await client.get(KEYS, headers=district_b.headers)).json() == []
    # A wrong package key, and malformed actors.
    wrong: list[tuple[dict[str, Any], int, str]] = [
        ({"package_key": pk[:-4] + "abcd", "actor": ACTOR}, 401, "package key"),
        ({"package_key": "not-a-token", "actor": ACTOR}, 401, "package key"),
        ({"package_key": pk, "actor": {"name": "No Account"}}, 400, "account"),  # as any missing field
        (
            {"package_key": pk, "actor": {"account": {"homePage": "lms.example.org", "name": "u"}}},
            400,
            "homePage",
        ),
        (
            {"package_key": pk, "actor": {"account": {"homePage": "https://lms.example.org", "name": ""}}},
            400,
            "name",
        ),
        ({"package_key": pk, "actor": {**ACTOR, "objectType": "Group"}}, 400, "objectType"),
    ]
    for body, status, words in wrong:
        response = await client.post(TOKENS, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert words in response.text, response.text
    # Not an admin: a learner token can't make packages.
    token = (await client.post(TOKENS, json={"package_key": pk, "actor": ACTOR})).json()["token"]
    forbidden = await client.post(KEYS, json={"name": "x"}, headers={"Authorization": f"Bearer {token}"})
    assert forbidden.status_code == 403
    assert (await client.post(KEYS, json={"name": ""}, headers=district_a.headers)).status_code == 400
    learners, keys = await counts(sessions)
    assert (learners, keys) == (before[0] + 1, before[1])  # only the one good exchange wrote
    # Revoked: the package is gone and its launches are refused.
    assert (await client.delete(f"{KEYS}/{key_id}", headers=district_a.headers)).status_code == 204
    assert (await client.get(f"{KEYS}/{key_id}/package", headers=district_a.headers)).status_code == 404
    refused = await client.post(
        TOKENS, json={"package_key": pk, "actor": {**ACTOR, "account": {**ACTOR["account"], "name": "new"}}}
    )
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert (await counts(sessions))[0] == learners
    [listed] = (await client.get(KEYS, headers=district_a.headers)).json()
    assert listed["id"] == key_id and listed["revoked_at"] is not None


def test_move_on_follows_the_completion_rule() -> None:
    submit, check = FormSubmitted(form="worksheet"), QuizPassed(form="check", min_score=0.75)
    assert rule_of(submit) == Rule("Completed", None)
    assert rule_of(AllOf(conditions=[submit, FormSubmitted(form="reflection")])) == Rule("Completed", None)
    assert rule_of(check) == Rule("Passed", 0.75)
    assert rule_of(AllOf(conditions=[submit, check])) == Rule("CompletedAndPassed", 0.75)
    assert rule_of(AnyOf(conditions=[submit, check])) == Rule("CompletedOrPassed", 0.75)
    # Two pass marks: the higher is the one that holds for the module.
    two = AllOf(conditions=[check, QuizPassed(form="final", min_score=0.9)])
    assert rule_of(two) == Rule("Passed", 0.9)
