"""JSON Schemas of the content files, for validation and completion in authors' editors.

`schemas/json/` holds one schema per kind of content file, generated from the Structs of
`schemas/content.py` (and the instruments': `schemas/feedback.py`, `schemas/measures.py`); a
test fails when the checked-in files drift from the Structs. Regenerate them with
`python -m api.content.jsonschema`.
"""

import json
from pathlib import Path
from typing import Any

import msgspec

from schemas.content import Agenda, Course, CourseTranslation, JobAid, Module, Translation
from schemas.feedback import FeedbackCard
from schemas.measures import ExitInterviewGuide, FamilySurvey, SecretShopperRubrics

# The file each content type's schema is written to, in the order they are written.
SCHEMA_FILES: dict[str, type[msgspec.Struct]] = {
    "course.schema.json": Course,
    "module.schema.json": Module,
    "translation.schema.json": Translation,
    "course-translation.schema.json": CourseTranslation,
    "agenda.schema.json": Agenda,
    "job-aid.schema.json": JobAid,
    "feedback-card.schema.json": FeedbackCard,
    "exit-interview.schema.json": ExitInterviewGuide,
    "secret-shopper.schema.json": SecretShopperRubrics,
    "family-survey.schema.json": FamilySurvey,
}

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "schemas" / "json"
"""Where the schemas are checked in: `schemas/json/` of the repository."""


def _schema_text(cls: type[msgspec.Struct]) -> str:
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **msgspec.json.schema(cls),
    }
    # Sorted keys and a final newline: regenerating unchanged Structs changes no byte.
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def expected_json_schemas() -> dict[str, str]:
    """The text each schema file should have, by file name."""
    return {name: _schema_text(cls) for name, cls in SCHEMA_FILES.items()}


def write_json_schemas(out_dir: Path = DEFAULT_DIR) -> list[Path]:
    """Write the schema files into `out_dir` (created if missing); returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, text in expected_json_schemas().items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_json_schemas():
        print(f"wrote {path}")
