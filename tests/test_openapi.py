"""The checked-in OpenAPI document matches the code, and the drift test would notice a change."""

from pathlib import Path

from litestar import get

from api.app import create_app
from api.cli import openapi_text
from api.settings import Settings

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
        assert body["properties"]["data"]["$ref"] == f"#/components/schemas/{cls.__name__}"
        assert cls.__name__ in document["components"]["schemas"]


def test_the_served_document_is_the_checked_in_one(tmp_path: Path) -> None:
    import json

    from litestar.testing import TestClient

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", publish_on_start=False)
    with TestClient(create_app(settings)) as client:
        served = client.get("/docs/openapi.json").json()
    assert served["webhooks"].keys() == json.loads(CHECKED_IN.read_text())["webhooks"].keys()
