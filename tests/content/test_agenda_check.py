"""Workshop agendas and the job aid as content: decoded strictly, held to the modules they run
(a module block's minutes are its kept script steps', the blocks add up), and their Spanish held
to the glossary, each problem with its file and path; and the shipped two-hour agenda."""

from pathlib import Path
from typing import Any

import pytest

from api.content.loader import check_content, load_course
from tests.conftest import CONTENT_DIR
from tests.content.test_check import make_content, only, with_glossary, write

Data = dict[str, Any]


def both(en: str, es: str) -> Data:
    return {"en": en, "es": es}


def agenda_data() -> Data:
    """Valid against make_content's modules, whose script is one 2-minute step of `warm-up`."""
    return {
        "id": "short",
        "title": both("A short workshop", "Un taller corto"),
        "summary": both("One module and a break.", "Un módulo y un descanso."),
        "minutes": 9,
        "blocks": [
            {
                "kind": "welcome",
                "minutes": 5,
                "title": both("Welcome", "Bienvenida"),
                "text": both("Hi.", "Hola."),
            },
            {"kind": "module", "module": "intro", "minutes": 2},
            {
                "kind": "break",
                "minutes": 2,
                "title": both("Break", "Descanso"),
                "text": both("Rest.", "Descanso."),
            },
        ],
    }


def job_aid_data() -> Data:
    return {
        "title": both("Who to call", "A quién llamar"),
        "standard_intro": both("In order.", "En orden."),
        "standard": [
            {"name": both("Safety", "Seguridad"), "text": both("Check first.", "Verifique primero.")}
        ],
        "contacts_intro": both("Write the numbers.", "Escriba los números."),
        "contacts": [{"need": both("A bus stop", "Una parada"), "who": both("Transportation", "Transporte")}],
        "footer": both("Your district's rules first.", "Las normas de su distrito primero."),
    }


def with_agenda(root: Path, agenda: Data, name: str = "short.yaml") -> Path:
    content = make_content(root)
    write(content / "agendas" / name, agenda)
    return content


def test_a_valid_agenda_and_job_aid_load(tmp_path: Path) -> None:
    root = with_agenda(tmp_path, agenda_data())
    write(root / "job-aid.yaml", job_aid_data())
    assert check_content(root) == []
    bundle = load_course(root)
    assert [agenda.id for agenda in bundle.agendas] == ["short"]
    assert bundle.agenda("short").blocks[1].module == "intro"
    assert bundle.job_aid is not None and bundle.job_aid.contacts[0].who.es == "Transporte"


def change(agenda: Data, index: int, **fields: Any) -> Data:
    agenda["blocks"][index].update(fields)
    return agenda


@pytest.mark.parametrize(
    ("edit", "path", "words"),
    [
        (
            lambda a: change(a, 1, minutes=3).update(minutes=10),
            "$.blocks[1].minutes",
            "take 2 minutes, not 3",
        ),
        (lambda a: a.update(minutes=10), "$.minutes", "add up to 9 minutes, not 10"),
        (lambda a: change(a, 1, module="nope"), "$.blocks[1].module", "`nope` is not one of"),
        (lambda a: change(a, 1, leave_out=["nope"]), "$.blocks[1].leave_out[0]", "no activity `nope`"),
        (lambda a: change(a, 0, module="intro"), "$.blocks[0]", "runs no module"),
        (lambda a: a["blocks"][2].pop("title"), "$.blocks[2].title", "needs a `title`"),
        (lambda a: change(a, 0, text=both("Hi.", " ")), "$.blocks[0].text.es", "empty"),
        (lambda a: a.update(length=9), "$", "length"),
    ],
)
def test_an_agenda_that_does_not_hold_together_is_a_problem(
    tmp_path: Path, edit: Any, path: str, words: str
) -> None:
    agenda = agenda_data()
    edit(agenda)
    problem = only(check_content(with_agenda(tmp_path, agenda)))
    assert (problem.file, problem.path) == ("agendas/short.yaml", path), problem
    assert words in problem.message, problem.message


def test_leaving_an_activity_out_takes_its_steps_out_of_the_minutes(tmp_path: Path) -> None:
    agenda = change(agenda_data(), 1, leave_out=["warm-up"], minutes=0)
    agenda["minutes"] = 7
    assert check_content(with_agenda(tmp_path, agenda)) == []


def test_an_agenda_is_named_by_its_file_and_never_a_module(tmp_path: Path) -> None:
    problem = only(check_content(with_agenda(tmp_path, agenda_data(), "long.yaml")))
    assert (problem.path, "rename the file to `short.yaml`" in problem.message) == ("$.id", True)
    agenda = agenda_data() | {"id": "intro"}
    problem = only(check_content(with_agenda(tmp_path / "again", agenda, "intro.yaml")))
    assert "a module's id" in problem.message


def test_their_spanish_keeps_to_the_glossary(tmp_path: Path) -> None:
    agenda = change(agenda_data(), 0, text=both("Meet at the front office.", "Nos vemos en recepción."))
    root = with_glossary(with_agenda(tmp_path, agenda))
    aid = job_aid_data()
    aid["contacts"][0]["who"] = both("The interpreter line", "El servicio de traducción")
    write(root / "job-aid.yaml", aid)
    problems = sorted((p.file, p.path) for p in check_content(root))
    assert problems == [
        ("agendas/short.yaml", "$.blocks[0].text.es"),
        ("job-aid.yaml", "$.contacts[0].who.es"),
    ]


def test_the_shipped_two_hour_agenda() -> None:
    bundle = load_course(CONTENT_DIR)
    agenda = bundle.agenda("two-hour")
    kinds = [block.kind for block in agenda.blocks]
    assert agenda.minutes == 120 == sum(block.minutes for block in agenda.blocks)
    assert [block.module for block in agenda.blocks if block.module] == bundle.course.modules
    assert kinds[0] == "welcome" and kinds.count("welcome") == 1 and kinds.count("break") == 1
    assert kinds.count("transition") >= 3 and kinds[-1] == "close"
    for block in agenda.blocks:  # every text in both languages
        for text in (agenda.title, agenda.summary, block.title, block.text):
            assert text is None or (text.en.strip() and text.es.strip())
    assert bundle.job_aid is not None
    assert [line.name.en for line in bundle.job_aid.standard] == ["Safety", "Courtesy", "Accuracy", "Speed"]
