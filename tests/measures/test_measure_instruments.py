"""The exit-interview guide and the secret-shopper rubrics as content: the shipped files decode
strictly with every text in English and Spanish, and a broken file is refused by `frontoffice
content check` with its file and `$.path`."""

import shutil
from pathlib import Path

import msgspec
import pytest
import yaml
from click.testing import CliRunner

from api.cli import main
from api.measures.instruments import (
    EXIT_FILE,
    SHOPPER_FILE,
    MeasureFileError,
    read_exit_guide,
    read_rubrics,
)
from schemas.feedback import Localized
from tests.conftest import CONTENT_DIR


def texts(value: object) -> list[Localized]:
    """Every Localized inside a decoded instrument."""
    if isinstance(value, Localized):
        return [value]
    if isinstance(value, msgspec.Struct):
        return [t for field in value.__struct_fields__ for t in texts(getattr(value, field))]
    if isinstance(value, list):
        return [t for item in value for t in texts(item)]
    return []


def test_the_shipped_instruments_have_every_text_in_english_and_spanish() -> None:
    guide = read_exit_guide(CONTENT_DIR)
    rubrics = read_rubrics(CONTENT_DIR)
    assert {"reasons", "front_office", "phone", "bus", "would_have_kept", "score", "comment"} <= {
        q.id for q in guide.questions
    }
    for instrument in (guide, rubrics):
        found = texts(instrument)
        assert len(found) > 20
        assert all(t.en.strip() and t.es.strip() for t in found)
        # Option labels and prompts are translated, not copied (short words like "No" may match).
        assert sum(t.en != t.es for t in found) == len(found)
    assert rubrics.channels.visit.criteria[2].id == "sign_in"
    assert rubrics.channels.visit.criteria[2].prompt.in_("es").startswith("¿Le pidieron registrarse")
    for rubric in (rubrics.channels.phone, rubrics.channels.email, rubrics.channels.visit):
        assert sum(c.points for c in rubric.criteria) == 100


def copy_content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    return folder


def edit(folder: Path, name: Path, change: object) -> None:
    data = yaml.safe_load((folder / name).read_text())
    change(data)  # type: ignore[operator]
    (folder / name).write_text(yaml.safe_dump(data, allow_unicode=True))


def check(folder: Path) -> str:
    result = CliRunner().invoke(main, ["content", "check", "--dir", str(folder)])
    assert result.exit_code != 0
    return result.output


def test_content_check_reports_a_bad_rubric_with_its_path(tmp_path: Path) -> None:
    folder = copy_content(tmp_path)
    edit(folder, SHOPPER_FILE, lambda d: d["channels"]["phone"]["criteria"][1].update(points="ten"))
    output = check(folder)
    assert "secret-shopper.yaml" in output and "$.channels.phone.criteria[1].points" in output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["channels"]["email"]["criteria"][0].update(type="stars"),
            "$.channels.email.criteria[0]",
        ),
        (lambda d: d["channels"]["visit"]["criteria"][0].update(colour="red"), "unknown field `colour`"),
        (lambda d: d["channels"].pop("visit"), "missing required field `visit`"),
        (
            lambda d: d["channels"]["visit"]["criteria"][1].update(id="sign_in"),
            "$.channels.visit.criteria: ids listed twice: sign_in",
        ),
        (
            lambda d: d["channels"]["phone"]["criteria"][2]["prompt"].pop("es"),
            "$.channels.phone.criteria[2].prompt",
        ),
    ],
)
def test_a_broken_rubric_file_is_refused(tmp_path: Path, change: object, message: str) -> None:
    folder = copy_content(tmp_path)
    edit(folder, SHOPPER_FILE, change)
    with pytest.raises(MeasureFileError, match=r"secret-shopper\.yaml") as caught:
        read_rubrics(folder)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["questions"].pop(5), "needs a `scale` question with id `score`, from 0 to 10"),
        (lambda d: d["questions"][1].update(min=5, max=1), "$.questions[1].max: must be above `min`"),
        (
            lambda d: d["questions"][0]["options"][1].update(id="moving"),
            "$.questions[0].options: ids listed twice",
        ),
        (lambda d: d["questions"][4].update(max_length=0), "$.questions[4].max_length"),
    ],
)
def test_a_broken_guide_is_refused_by_content_check(tmp_path: Path, change: object, message: str) -> None:
    folder = copy_content(tmp_path)
    edit(folder, EXIT_FILE, change)
    output = check(folder)
    assert "exit-interview.yaml" in output and message in output
