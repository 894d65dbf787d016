"""The checked-in JSON Schemas of the content files match the content Structs."""

import json
from pathlib import Path

from api.content.jsonschema import DEFAULT_DIR, expected_json_schemas, write_json_schemas

NAMES = [
    "course.schema.json",
    "module.schema.json",
    "translation.schema.json",
    "course-translation.schema.json",
    "agenda.schema.json",
    "job-aid.schema.json",
    "feedback-card.schema.json",
    "exit-interview.schema.json",
    "secret-shopper.schema.json",
    "family-survey.schema.json",
]


def test_checked_in_schemas_match_the_structs() -> None:
    for name, text in expected_json_schemas().items():
        path = DEFAULT_DIR / name
        assert path.is_file(), f"{path} is missing: run `python -m api.content.jsonschema`"
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} is out of date: run `python -m api.content.jsonschema`"
        )


def test_write_json_schemas(tmp_path: Path) -> None:
    written = write_json_schemas(tmp_path / "json")
    assert [path.name for path in written] == NAMES
    first = [path.read_bytes() for path in written]
    write_json_schemas(tmp_path / "json")
    assert [path.read_bytes() for path in written] == first  # stable: rewriting changes nothing


def test_schemas_are_strict_and_mark_markdown() -> None:
    module = json.loads(expected_json_schemas()["module.schema.json"])
    assert module["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert module["$ref"] == "#/$defs/Module"
    definitions = module["$defs"]
    assert all(d.get("additionalProperties") is False for d in definitions.values() if "properties" in d)
    summary = definitions["Module"]["properties"]["summary"]
    assert summary["contentMediaType"] == "text/markdown"
    assert "contentMediaType" not in definitions["Module"]["properties"]["title"]
    items = definitions["Form"]["properties"]["items"]["items"]
    assert items["discriminator"]["propertyName"] == "type"
