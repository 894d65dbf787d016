"""The course itself in Spanish: `translations/<locale>/course.yaml`, checked like a module's
translation (paths, the course's id, the glossary) and served with the course; and one wording of
the reflections' rating scale across the course, in every language."""

from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.content.loader import check_content, load_course
from tests.conftest import Tenant
from tests.content.test_check import Data, make_content, module_data, only, with_glossary, write

Client = AsyncTestClient[Litestar]


def course_translation(**strings: str) -> Data:
    return {"course": "a-plus", "locale": "es", "strings": strings}


def with_course_translation(root: Path, data: Data) -> Path:
    write(root / "translations" / "es" / "course.yaml", data)
    return root


def test_a_course_translation_is_loaded(tmp_path: Path) -> None:
    root = with_course_translation(
        make_content(tmp_path),
        course_translation(**{"title": "Servicio al cliente A+", "audience[0]": "Personal de la oficina"}),
    )
    assert check_content(root) == []
    assert load_course(root).course_translations == {
        "es": {"title": "Servicio al cliente A+", "audience[0]": "Personal de la oficina"}
    }


@pytest.mark.parametrize(
    ("data", "path", "says"),
    [
        (course_translation(titel="Curso"), "titel", "no English original in course.yaml"),
        (course_translation(**{"modules[0]": "intro"}), "modules[0]", "no English original in course.yaml"),
        (course_translation(title="Curso") | {"course": "another"}, "$.course", "course.yaml is `a-plus`"),
        (course_translation(title="Curso") | {"locale": "fr"}, "$.locale", "in folder `es`"),
        (course_translation(title="Curso") | {"module": "intro"}, "$", "`module` is not a field here"),
    ],
)
def test_a_course_translation_is_checked(tmp_path: Path, data: Data, path: str, says: str) -> None:
    problem = only(check_content(with_course_translation(make_content(tmp_path), data)))
    assert (problem.file, problem.path) == ("translations/es/course.yaml", path)
    assert says in problem.message


def test_the_glossary_holds_the_course_translation_too(tmp_path: Path) -> None:
    root = make_content(tmp_path, course=lambda d: d.update(description="For the **front office**."))
    with_course_translation(with_glossary(root), course_translation(description="Para la recepción."))
    problem = only(check_content(root))
    assert (problem.file, problem.path) == ("translations/es/course.yaml", "description")
    assert "“oficina principal”" in problem.message


def test_a_module_may_not_be_called_course(tmp_path: Path) -> None:
    def rename(module: Data) -> None:
        module["id"] = "course"

    root = make_content(tmp_path, course=lambda d: d.update(modules=["course", "skills"]), module=rename)
    (root / "modules" / "intro.yaml").rename(root / "modules" / "course.yaml")
    (root / "translations" / "es" / "intro.yaml").unlink()
    problem = only(check_content(root))
    assert (problem.file, problem.path) == ("modules/course.yaml", "$.id")
    assert "translates the course itself" in problem.message


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("query", "accept", "language"),
    [("?lang=es", None, "es"), ("", "es-MX,es;q=0.9", "es"), ("", None, "en"), ("?lang=en", "es", "en")],
)
async def test_the_course_is_served_in_spanish(
    client: Client, district_a: Tenant, query: str, accept: str | None, language: str
) -> None:
    headers = {**district_a.headers, **({"Accept-Language": accept} if accept else {})}
    response = await client.get(f"/api/v1/course{query}", headers=headers)
    assert response.status_code == 200 and response.headers["content-language"] == language
    course = response.json()
    if language == "es":
        assert course["title"] == "Servicio al cliente A+ para el personal escolar"
        assert "oficina principal" in course["description"] and "Choferes" in course["audience"]
        assert course["modules"][0]["title"] != "Why customer service matters in a school"  # modules too
    else:
        assert course["title"] == "A+ Customer Service for School Staff"


# --- One rating scale for every reflection, in every language ---


def test_a_reflection_scale_worded_differently_is_a_problem(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    skills = module_data("skills")
    skills["forms"][1]["items"][2]["scale"]["labels"][0]["label"] = "Bad"
    write(root / "modules" / "skills.yaml", skills)
    problem = only(check_content(root))
    assert (problem.file, problem.path) == ("modules/skills.yaml", "$.forms[1].items[2].scale.labels")
    assert "['Bad']" in problem.message and "module `intro` reads ['Poor']" in problem.message


def test_a_reflection_scale_translated_differently_is_a_problem(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    label = "forms[reflection].items[rating].scale.labels[0].label"
    write(
        root / "translations" / "es" / "skills.yaml",
        {"module": "skills", "locale": "es", "strings": {label: "Pobre"}},
    )
    problem = only(check_content(root))
    assert (problem.file, problem.path) == (
        "translations/es/skills.yaml",
        "forms[reflection].items[rating].scale.labels",
    )
    assert "module `intro` reads ['Malo']" in problem.message
