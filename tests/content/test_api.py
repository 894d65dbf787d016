"""The content API: views, languages, formats, ETags, versions and what learners never see."""

import shutil
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event

from api.cli import main as cli
from api.content.loader import load_course
from api.content.publish import publish
from api.db import Sessions
from tests.conftest import CONTENT_DIR, Tenant, make_tenant

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]
MODULES = [
    "why-service-matters",
    "who-are-our-customers",
    "internal-customer-service",
    "skills-self-assessment",
    "measuring-and-improving",
]
ANSWER_KEYS = {
    "correct",
    "feedback",
    "feedback_correct",
    "feedback_incorrect",
    "accepted",
    "reference",
    "category",
    "facilitator_script",
    "score_bands",
}


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


async def test_course_and_module_listing(client: Client, district_a: Tenant) -> None:
    course = (await client.get("/api/v1/course", headers=district_a.headers)).json()
    assert course["title"] == "A+ Customer Service for School Staff"
    assert [m["id"] for m in course["modules"]] == MODULES
    listed = (await client.get("/api/v1/modules", headers=district_a.headers)).json()
    assert [m["id"] for m in listed] == MODULES and all(m["minutes"] > 0 for m in listed)


@pytest.mark.parametrize("module_id", MODULES)
async def test_learner_view_holds_no_answer_keys(client: Client, district_a: Tenant, module_id: str) -> None:
    learner = await client.get(f"/api/v1/modules/{module_id}", headers=district_a.headers)
    assert learner.status_code == 200
    assert not keys_in(learner.json()) & ANSWER_KEYS
    facilitator = (
        await client.get(f"/api/v1/modules/{module_id}/facilitator", headers=district_a.headers)
    ).json()
    assert "facilitator_script" in facilitator
    # No feedback text of the facilitator view shows up in the learner's. (Accepted answers are
    # words like "first contact" that the teaching text itself uses; their field is absent.)
    secrets: list[str] = []
    for form in facilitator["forms"]:
        for item in form["items"]:
            secrets += [o["feedback"] for o in item.get("options", [])]
            secrets += [e["feedback"] for e in item.get("entries", []) if "feedback" in e]
            secrets += [item[k] for k in ("feedback", "feedback_correct", "feedback_incorrect") if k in item]
    assert all(secret not in learner.text for secret in secrets)


async def test_facilitator_view_needs_its_scope(client: Client, sessions: Sessions) -> None:
    reader = await make_tenant(sessions, "reader", ["content:read"])
    response = await client.get("/api/v1/modules/who-are-our-customers/facilitator", headers=reader.headers)
    assert response.status_code == 403
    assert (
        await client.get("/api/v1/modules/who-are-our-customers", headers=reader.headers)
    ).status_code == 200


async def test_etag_and_cache_headers(client: Client, district_a: Tenant) -> None:
    url = "/api/v1/modules/who-are-our-customers"
    first = await client.get(url, headers=district_a.headers)
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["cache-control"] == "private, no-cache"
    again = await client.get(url, headers={**district_a.headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    version = first.json()["version"]
    pinned = await client.get(f"{url}/versions/{version}", headers=district_a.headers)
    assert pinned.json() == first.json() and "immutable" in pinned.headers["cache-control"]


async def test_repeat_get_does_no_database_work(app: Litestar, client: Client, district_a: Tenant) -> None:
    url = "/api/v1/modules/internal-customer-service"
    await client.get(url, headers=district_a.headers)
    statements: list[str] = []
    event.listen(
        app.state.runtime.engine.sync_engine,
        "before_cursor_execute",
        lambda *args: statements.append(args[2]),
    )
    response = await client.get(url, headers=district_a.headers)
    assert response.status_code == 200
    assert statements == []


@pytest.mark.parametrize(
    ("query", "accept", "language"),
    [
        ("?lang=es", None, "es"),
        ("", "es-MX,es;q=0.9,en;q=0.5", "es"),
        ("", "fr, en;q=0.1", "en"),
        ("?lang=fr", None, "en"),
        ("", "en;q=0.5, es;q=0.8", "es"),
        ("", None, "en"),
    ],
)
async def test_language_negotiation(
    client: Client, district_a: Tenant, query: str, accept: str | None, language: str
) -> None:
    headers = {**district_a.headers, **({"Accept-Language": accept} if accept else {})}
    response = await client.get(f"/api/v1/modules/who-are-our-customers{query}", headers=headers)
    assert response.status_code == 200 and response.headers["content-language"] == language
    english = (await client.get("/api/v1/modules/who-are-our-customers", headers=district_a.headers)).json()
    assert (response.json()["title"] == english["title"]) == (language == "en")


async def test_spanish_falls_back_to_english_where_a_module_has_none(
    app: Litestar, client: Client, sessions: Sessions, district_a: Tenant, tmp_path: Path
) -> None:
    # Every shipped module has Spanish: publish a course whose module 4 has none.
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    (folder / "translations" / "es" / "skills-self-assessment.yaml").unlink()
    await publish(sessions, load_course(folder))
    try:
        app.state.runtime.catalog.refresh_seconds = 0
        app.state.response_cache.clear()
        url = "/api/v1/modules/{}?lang=es"
        untranslated = await client.get(url.format("skills-self-assessment"), headers=district_a.headers)
        assert untranslated.headers["content-language"] == "en"
        translated = await client.get(url.format("who-are-our-customers"), headers=district_a.headers)
        assert translated.headers["content-language"] == "es"
    finally:
        await publish(sessions, load_course(CONTENT_DIR))  # the shared course, as it was


async def test_html_format_is_rendered_and_sanitized(client: Client, district_a: Tenant) -> None:
    response = await client.get(
        "/api/v1/modules/who-are-our-customers?format=html", headers=district_a.headers
    )
    body = response.json()
    assert body["learner_instructions"].lstrip().startswith("<")
    assert "<script" not in response.text


async def test_a_form_alone(client: Client, district_a: Tenant) -> None:
    form = (
        await client.get(
            "/api/v1/modules/who-are-our-customers/forms/knowledge-check", headers=district_a.headers
        )
    ).json()
    assert form["kind"] == "knowledge_check" and not keys_in(form) & ANSWER_KEYS


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/modules/no-such-module",
        "/api/v1/modules/who-are-our-customers/versions/0000",
        "/api/v1/modules/who-are-our-customers/forms/nope",
        "/api/v1/modules/no-such-module/versions",
    ],
)
async def test_unknown_content_is_404(client: Client, district_a: Tenant, path: str) -> None:
    response = await client.get(path, headers=district_a.headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_publishing_a_change_makes_a_new_version_and_keeps_the_old(
    app: Litestar, client: Client, sessions: Sessions, district_a: Tenant, tmp_path: Path
) -> None:
    url = "/api/v1/modules/why-service-matters"
    old = (await client.get(url, headers=district_a.headers)).json()
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    path = folder / "modules" / "why-service-matters.yaml"
    path.write_text(
        path.read_text().replace(f"title: {old['title']}", "title: Why service matters (revised)", 1)
    )
    result = await publish(sessions, load_course(folder))
    try:
        assert [m for m, _ in result.new_versions] == ["why-service-matters"]
        # Time passes: the catalog rereads on the next request (on the app's own loop), and the
        # one-second response cache has let go of the old answer.
        app.state.runtime.catalog.refresh_seconds = 0
        app.state.response_cache.clear()
        new = (await client.get(url, headers=district_a.headers)).json()
        assert new["title"] == "Why service matters (revised)" and new["version"] != old["version"]
        pinned = (await client.get(f"{url}/versions/{old['version']}", headers=district_a.headers)).json()
        assert pinned == old
        versions = (await client.get(f"{url}/versions", headers=district_a.headers)).json()
        assert {v["version"]: v["current"] for v in versions} == {new["version"]: True, old["version"]: False}
    finally:
        await publish(sessions, load_course(CONTENT_DIR))  # the shared course, as it was


def test_content_check_prints_problems_and_fails(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    path = folder / "modules" / "who-are-our-customers.yaml"
    path.write_text(path.read_text().replace("pass_mark: 0.8", "pass_mark: 1.8", 1))
    other = folder / "modules" / "measuring-and-improving.yaml"
    other.write_text(other.read_text() + "\nsurprise: 1\n")
    result = CliRunner().invoke(cli, ["content", "check", "--dir", str(folder)])
    assert result.exit_code != 0
    assert "modules/who-are-our-customers.yaml: $.forms[1].policy.pass_mark" in result.output
    assert "modules/measuring-and-improving.yaml" in result.output and "surprise" in result.output
    assert CliRunner().invoke(cli, ["content", "check", "--dir", str(CONTENT_DIR)]).exit_code == 0


def test_serve_refuses_broken_content(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    (folder / "modules" / "why-service-matters.yaml").write_text("id: [unclosed\n")
    env = {
        "FRONTOFFICE_CONTENT_DIR": str(folder),
        "FRONTOFFICE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
    }
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code != 0
    assert "why-service-matters.yaml" in result.output


def test_learner_views_encode_no_answer_keys_for_any_module() -> None:
    from api.content.views import learner_module

    for module in load_course(CONTENT_DIR).modules:
        encoded = msgspec.json.decode(msgspec.json.encode(learner_module(module, "v")))
        assert not keys_in(encoded) & ANSWER_KEYS


async def test_cached_answers_are_per_credential_and_die_with_a_revoked_key(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    url = "/api/v1/modules/who-are-our-customers"
    reader = await make_tenant(sessions, "reader2", ["content:read"])
    assert (await client.get(url, headers=reader.headers)).status_code == 200
    assert (
        await client.get(url, headers={"Authorization": "Bearer fo_000000000000_nope"})
    ).status_code == 401
    first = await client.get(url, headers=district_a.headers)
    again = await client.get(url, headers=district_a.headers)  # from the response cache
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    keys = (await client.get("/api/v1/keys", headers=reader.headers)).status_code
    assert keys == 403  # the reader is not an administrator; its cached content answer grants nothing else
    created = (
        await client.post(
            "/api/v1/keys", json={"name": "tmp", "scopes": ["content:read"]}, headers=district_a.headers
        )
    ).json()
    temp = {"Authorization": f"Bearer {created['key']}"}
    assert (await client.get(url, headers=temp)).status_code == 200
    await client.delete(f"/api/v1/keys/{created['api_key']['id']}", headers=district_a.headers)
    assert (await client.get(url, headers=temp)).status_code == 401
