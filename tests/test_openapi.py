"""The checked-in OpenAPI document matches the code, and the drift test would notice a change;
the document is complete: unique names, security, downloads, clean descriptions."""

import json
import uuid
from inspect import cleandoc
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.routes import HTTPRoute

from api.app import create_app
from api.cli import openapi_text
from api.errors import Forbidden
from api.identity.auth import ALWAYS_HOLDS, MAY_HOLD, Credential, Principal, check_scopes
from api.openapi import finish_document
from api.settings import Settings
from schemas.base import Wire
from schemas.hr import ExportRow

CHECKED_IN = Path(__file__).parent.parent / "openapi" / "openapi.json"


def test_checked_in_openapi_matches_the_code() -> None:
    assert CHECKED_IN.read_text() == openapi_text(), (
        "openapi/openapi.json is stale: run `frontoffice openapi` and commit the result"
    )


def test_a_new_route_changes_the_document() -> None:
    @get("/api/v1/new-thing", operation_id="newThing", summary="Something new")
    async def new_thing() -> str:
        return "new"

    app = create_app(Settings())
    app.register(new_thing)
    assert "newThing" in str(app.openapi_schema.to_schema())
    assert "newThing" not in openapi_text()


def test_every_operation_has_an_id_a_summary_and_problem_responses() -> None:
    import json

    document = json.loads(openapi_text())
    assert document["openapi"].startswith("3.1")
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation.get("operationId"), f"{method} {path} has no operationId"
            assert operation.get("summary"), f"{method} {path} has no summary"
            if path.startswith("/api/"):
                assert "401" in operation["responses"], f"{method} {path} documents no 401"
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], (
                        f"{method} {path} documents a {status} that is not a problem"
                    )


def test_every_event_type_is_documented_as_a_webhook() -> None:
    import json

    from schemas.events import EVENT_TYPES

    document = json.loads(openapi_text())
    assert set(document["webhooks"]) == set(EVENT_TYPES)
    for type_name, cls in EVENT_TYPES.items():
        body = document["webhooks"][type_name]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body["properties"]["type"]["const"] == type_name
        # An event's payload is named for the event, never as one of the API's own schemas.
        assert body["properties"]["data"]["$ref"] == f"#/components/schemas/{cls.__name__}Event"
        assert f"{cls.__name__}Event" in document["components"]["schemas"]


def test_the_served_document_is_the_checked_in_one(tmp_path: Path) -> None:
    import json

    from litestar.testing import TestClient

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", publish_on_start=False)
    with TestClient(create_app(settings)) as client:
        served = client.get("/docs/openapi.json").json()
    assert served["webhooks"].keys() == json.loads(CHECKED_IN.read_text())["webhooks"].keys()


def name_clashes(document: dict[str, Any]) -> list[str]:
    """Components whose names clash: Litestar names a second type of a taken name after its
    module (`progress_Requirement`) and keeps the title, so a key that is not its title, or a
    title twice, is two types under one name."""
    schemas = document["components"]["schemas"]
    clashes = [key for key, schema in schemas.items() if schema.get("title") != key]
    titles = [schema.get("title") for schema in schemas.values()]
    return clashes + sorted({t for t in titles if titles.count(t) > 1})


def test_every_component_name_is_unique() -> None:
    assert name_clashes(json.loads(openapi_text())) == []


class Health(Wire):
    """The name of the /healthz body's type, in another module."""

    ok: bool


class LearnerRef(Wire):
    """The name of a type the webhook events hold."""

    id: str


def test_two_types_of_one_name_are_a_clash() -> None:
    @get("/api/v1/other-health", operation_id="otherHealth", summary="Other", sync_to_thread=False)
    def other_health() -> Health:
        return Health(ok=True)

    app = create_app(Settings())
    app.register(other_health)
    assert name_clashes(app.openapi_schema.to_schema())


def test_a_type_that_takes_a_webhook_schemas_name_is_refused() -> None:
    @get("/api/v1/learner-ref", operation_id="learnerRef", summary="Ref", sync_to_thread=False)
    def learner_ref() -> LearnerRef:
        return LearnerRef(id="x")

    app = create_app(Settings())
    app.register(learner_ref)
    with pytest.raises(ValueError, match="LearnerRef"):
        finish_document(app.openapi_schema, app.routes)


def _strings_named(node: object, name: str) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == name and isinstance(v, str)]
        return found + [s for v in node.values() for s in _strings_named(v, name)]
    if isinstance(node, list):
        return [s for v in node for s in _strings_named(v, name)]
    return []


def test_descriptions_are_clean_docstrings() -> None:
    document = json.loads(openapi_text())
    descriptions = _strings_named(document, "description")
    assert descriptions and all(d == cleandoc(d) for d in descriptions)
    schemas = document["components"]["schemas"]
    # Struct docstrings are the schemas' descriptions (without a base's), however they are indented.
    assert schemas["Health"]["description"] == "Liveness: the process answers."
    assert schemas["EndpointFailingEvent"]["description"].split("\n")[1].startswith("sent when")
    assert "description" not in schemas["CompletionPage"]


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()]


def test_security_schemes_and_requirements() -> None:
    document = json.loads(openapi_text())
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) == {"apiKey", "learnerToken", "consoleSession"}
    console = schemes.pop("consoleSession")
    assert console["in"] == "cookie" and "X-CSRF-Token" in console["description"]
    assert all(s["type"] == "http" and s["scheme"] == "bearer" and s["description"] for s in schemes.values())
    assert "fo_" in schemes["apiKey"]["description"] and "JWT" in schemes["learnerToken"]["bearerFormat"]
    assert "/api/v1/learner-tokens" in schemes["learnerToken"]["description"]
    for path, method, operation in _operations(document):
        # Everything under /api/ needs a credential; health, metrics, problems, certificate
        # checks, LTI launches and console sign-in do not; the console's session routes take
        # its cookie alone.
        if operation.get("security") == [{"consoleSession": []}]:
            assert path.startswith("/console/"), f"{method} {path}"
            continue
        assert ("security" in operation) == path.startswith("/api/"), f"{method} {path}"
        for requirement in operation.get("security", []):
            assert set(requirement) <= set(schemes) and len(requirement) == 1
    security = {op["operationId"]: op.get("security") for _, _, op in _operations(document)}
    assert security["getModule"] == [{"apiKey": ["content:read"]}, {"learnerToken": []}]
    assert security["getMe"] == [{"learnerToken": []}]
    assert security["createApiKey"] == [{"apiKey": ["admin"]}]
    assert security["healthz"] is None and security["verifyCertificate"] is None


def test_documented_credentials_are_the_ones_the_routes_take() -> None:
    """Each requirement passes the scope check with just what it names (plus what every
    credential of its kind holds); a kind left out fails it even holding all it may."""
    app = create_app(Settings())
    security = {
        op["operationId"]: op.get("security") for _, _, op in _operations(app.openapi_schema.to_schema())
    }
    checked = 0
    for route in app.routes:
        for handler in route.route_handlers if isinstance(route, HTTPRoute) else []:
            if handler.operation_id not in security or security[handler.operation_id] is None:
                continue
            requirements = security[handler.operation_id]
            for kind in Credential:
                listed = [r[kind.value] for r in requirements if kind.value in r]
                for scopes in listed:
                    check_scopes(_principal(kind, ALWAYS_HOLDS[kind] | set(scopes)), handler.opt)
                if not listed:
                    with pytest.raises(Forbidden):
                        check_scopes(_principal(kind, MAY_HOLD[kind]), handler.opt)
            checked += 1
    assert checked > 50


def _principal(kind: Credential, scopes: frozenset[str]) -> Principal:
    ids = {"key_id": uuid.uuid4()} if kind is Credential.API_KEY else {"learner_id": uuid.uuid4()}
    return Principal(district_id=uuid.uuid4(), scopes=frozenset(scopes), **ids)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOADS = {
    "exportCompletionRecords": {"text/csv; charset=utf-8", "application/x-ndjson", XLSX},
    "exportCompletionRecordsCsv": {"text/csv; charset=utf-8"},
    "exportCompletionRecordsNdjson": {"application/x-ndjson"},
    "exportCompletionRecordsXlsx": {XLSX},
    "getCompletionCertificate": {"application/pdf"},
    "getMyCertificate": {"application/pdf"},
    "getEmployeeTranscriptPdf": {"application/pdf"},
    "getFeedbackQrCard": {"application/pdf"},
    "getFamilySurveyQrCard": {"application/pdf"},
    "getFeedbackSummaryCsv": {"text/csv; charset=utf-8"},
    **{
        f"get{target}{document}": {"application/pdf"}
        for target in ("Module", "Agenda")
        for document in ("ParticipantPacket", "FacilitatorGuide", "JobAid")
    },
    "getWorkshopPersonalPackets": {"application/pdf"},
    "getImpactTrendsCsv": {"text/csv; charset=utf-8"},
    "getImpactBeforeAfterCsv": {"text/csv; charset=utf-8"},
}


LABELS = (
    "CSV",
    "NDJSON",
    "CSV or NDJSON",
    "CSV, NDJSON or Excel workbook",
    "Excel workbook",
    "PDF certificate",
    "PDF transcript",
    "PDF card",
    "PDF participant packet",
    "PDF facilitator guide",
    "PDF job aid",
)


def test_downloads_are_documented_with_their_columns() -> None:
    document = json.loads(openapi_text())
    found: dict[str, set[str]] = {}
    for path, method, operation in _operations(document):
        for response in operation["responses"].values():
            for media_type, body in response.get("content", {}).items():
                if media_type.split(";")[0] in ("text/csv", "application/x-ndjson", "application/pdf", XLSX):
                    found.setdefault(operation["operationId"], set()).add(media_type)
                    assert len(body["schema"]["description"]) > 80, f"{method} {path} {media_type}"
                    assert response["description"] in LABELS
    assert found == DOWNLOADS
    export = document["paths"]["/api/v1/completions/export"]["get"]["responses"]["200"]["content"]
    csv = export["text/csv; charset=utf-8"]["schema"]
    assert csv["type"] == "string" and csv["contentMediaType"] == "text/csv"
    assert ", ".join(ExportRow.__struct_fields__) in csv["description"]
    assert export["application/x-ndjson"]["schema"]["$ref"] == "#/components/schemas/ExportRow"
    row = document["components"]["schemas"]["ExportRow"]
    assert set(row["properties"]) == set(ExportRow.__struct_fields__)


def test_every_401_documents_the_bearer_challenge() -> None:
    document = json.loads(openapi_text())
    for path, method, operation in _operations(document):
        if "401" in operation["responses"]:
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"], f"{method} {path}"


def test_the_app_builds_the_same_document_twice() -> None:
    first: Litestar = create_app(Settings())
    assert first.openapi_schema.to_schema() == create_app(Settings()).openapi_schema.to_schema()
