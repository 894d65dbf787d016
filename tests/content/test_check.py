"""check_content and load_course on small content folders written into tmp_path."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.content.loader import ContentError, ContentProblem, check_content, load_course
from tests.conftest import CONTENT_DIR

Data = dict[str, Any]


def course_data() -> Data:
    return {
        "id": "a-plus",
        "title": "A+ Customer Service",
        "description": "A course for **front office** staff.",
        "audience": ["Front office staff"],
        "modules": ["intro", "skills"],
    }


def module_data(module_id: str = "intro") -> Data:
    """A valid module using every item type, every reference and a nested completion rule."""
    return {
        "id": module_id,
        "title": "Introduction",
        "summary": "What *service* means here.",
        "goals": ["Name our customers."],
        "minutes": 20,
        "facilitator_script": [
            {"kind": "say", "minutes": 2, "text": "Welcome everyone.", "activity": "warm-up"}
        ],
        "learner_instructions": "Work through the activities in order.",
        "activities": [
            {
                "id": "warm-up",
                "title": "Warm up",
                "minutes": 5,
                "instructions": "Read the notes, then take the check.",
                "form": "check",
                "handout": "notes",
            },
            {"id": "reflect", "title": "Reflect", "minutes": 5, "instructions": "Reflect."},
        ],
        "forms": [
            {
                "id": "check",
                "kind": "knowledge_check",
                "title": "Check your understanding",
                "instructions": "Answer each question.",
                "policy": {"scoring": "automatic", "pass_mark": 0.8},
                "items": [
                    {
                        "type": "choice",
                        "id": "q1",
                        "prompt": "Who is a customer?",
                        "options": [
                            {"id": "a", "text": "A parent", "feedback": "Yes.", "correct": True},
                            {"id": "b", "text": "Nobody", "feedback": "Everyone is."},
                        ],
                    },
                    {
                        "type": "classify",
                        "id": "q2",
                        "prompt": "Sort these.",
                        "categories": [
                            {"id": "internal", "label": "Internal"},
                            {"id": "external", "label": "External"},
                        ],
                        "entries": [
                            {
                                "id": "parent",
                                "text": "A parent",
                                "category": "external",
                                "feedback": "Parents come from outside.",
                            },
                            {
                                "id": "teacher",
                                "text": "A teacher",
                                "category": "internal",
                                "feedback": "Teachers are colleagues.",
                            },
                        ],
                    },
                    {
                        "type": "order",
                        "id": "q3",
                        "prompt": "Put in order.",
                        "entries": [
                            {"id": "greet", "text": "Greet"},
                            {"id": "help", "text": "Help"},
                        ],
                        "feedback": "Greet first.",
                    },
                    {
                        "type": "text_entry",
                        "id": "q4",
                        "prompt": "Name one.",
                        "accepted": ["parent"],
                        "feedback_correct": "Right.",
                        "feedback_incorrect": "Think of families.",
                    },
                ],
            },
            {
                "id": "reflection",
                "kind": "reflection",
                "title": "Reflection",
                "instructions": "Tell us.",
                "policy": {"scoring": "completion", "identity": "anonymous"},
                "items": [
                    {"type": "extended_text", "id": "learned", "prompt": "What did you learn?"},
                    {"type": "list", "id": "ideas", "prompt": "List ideas."},
                    {
                        "type": "rating",
                        "id": "rating",
                        "prompt": "Rate the module.",
                        "scale": {"labels": [{"value": 1, "label": "Poor"}]},
                    },
                    {
                        "type": "matrix",
                        "id": "confidence",
                        "prompt": "How sure are you?",
                        "scale": {"labels": [{"value": 1, "label": "Not sure"}]},
                        "statements": [
                            {"id": "greet", "text": "I greet"},
                            {"id": "listen", "text": "I listen"},
                        ],
                    },
                    {
                        "type": "table",
                        "id": "plan",
                        "prompt": "Plan.",
                        "columns": [
                            {"id": "what", "label": "What"},
                            {"id": "when", "label": "When"},
                        ],
                        "rows": [
                            {"id": "first", "label": "First"},
                            {"id": "second", "label": "Second"},
                        ],
                    },
                ],
            },
        ],
        "completion": {
            "type": "all_of",
            "conditions": [
                {"type": "quiz_passed", "form": "check", "min_score": 0.8},
                {"type": "form_submitted", "form": "reflection"},
            ],
        },
        "materials": [{"title": "Notes", "kind": "handout", "ref": "notes"}],
        "handouts": [{"id": "notes", "title": "Notes", "body": "Everyone is a customer."}],
    }


def translation_data() -> Data:
    return {
        "module": "intro",
        "locale": "es",
        "strings": {
            "title": "Introducción",
            "forms[check].items[q1].options[a].feedback": "Sí.",
            "forms[reflection].items[rating].scale.labels[0].label": "Malo",
        },
    }


def write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def make_content(
    root: Path,
    *,
    course: Callable[[Data], object] = lambda d: None,
    module: Callable[[Data], object] = lambda d: None,
    translation: Callable[[Data], object] = lambda d: None,
) -> Path:
    """A valid content folder, after each callback has changed its document in place."""
    data = course_data()
    course(data)
    write(root / "course.yaml", data)
    intro = module_data("intro")
    module(intro)
    write(root / "modules" / "intro.yaml", intro)
    write(root / "modules" / "skills.yaml", module_data("skills"))
    es = translation_data()
    translation(es)
    write(root / "translations" / "es" / "intro.yaml", es)
    return root


def only(problems: list[ContentProblem]) -> ContentProblem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def item(data: Data, form: int, index: int) -> Data:
    found: Data = data["forms"][form]["items"][index]
    return found


# --- The good case ---


def test_valid_content_has_no_problems(tmp_path: Path) -> None:
    assert check_content(make_content(tmp_path)) == []


def test_load_course_gives_modules_in_course_order_and_translations(tmp_path: Path) -> None:
    root = make_content(tmp_path, course=lambda d: d.update(modules=["skills", "intro"]))
    bundle = load_course(root)
    assert bundle.course.id == "a-plus"
    assert [m.id for m in bundle.modules] == ["skills", "intro"]
    assert list(bundle.translations) == [("intro", "es")]
    assert bundle.module("intro").title == "Introduction"


def test_load_course_raises_with_every_problem(tmp_path: Path) -> None:
    def break_module(d: Data) -> None:
        d["title"] = " "
        d["handouts"][0]["body"] = ""

    root = make_content(tmp_path, module=break_module)
    with pytest.raises(ContentError) as caught:
        load_course(root)
    assert [(p.file, p.path) for p in caught.value.problems] == [
        ("modules/intro.yaml", "$.title"),
        ("modules/intro.yaml", "$.handouts[0].body"),
    ]
    assert "modules/intro.yaml: $.title:" in str(caught.value)


# --- Decoding ---


def test_yaml_syntax_error_gives_line(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    (root / "modules" / "intro.yaml").write_text("id: intro\ntitle: Service: why it matters\n")
    problem = only(check_content(root))
    assert (problem.file, problem.path) == ("modules/intro.yaml", "line 2, column 15")
    assert "not valid YAML" in problem.message
    assert "quotes" in problem.message


def test_repeated_yaml_key_is_a_problem(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    path = root / "modules" / "intro.yaml"
    path.write_text(path.read_text() + "title: Again\n")
    problem = only(check_content(root))
    assert problem.path.startswith("line ")
    assert "duplicate key `title`" in problem.message


def test_empty_file(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    (root / "modules" / "intro.yaml").write_text("")
    problem = only(check_content(root))
    assert (problem.file, problem.path) == ("modules/intro.yaml", "$")
    assert "empty" in problem.message


def test_unknown_field_suggests_the_closest(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=lambda d: item(d, 0, 0).update(promt="Typo"))
    problem = only(check_content(root))
    assert problem.path == "$.forms[0].items[0]"
    assert "`promt` is not a field here: did you mean `prompt`?" in problem.message


def test_unknown_field_lists_the_fields_allowed(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=lambda d: item(d, 0, 0).update(hint="Think."))
    problem = only(check_content(root))
    assert "`hint` is not a field here" in problem.message
    assert "`prompt`" in problem.message and "`options`" in problem.message


def test_missing_required_field(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=lambda d: d.pop("summary"))
    problem = only(check_content(root))
    assert problem.path == "$"
    assert "`summary` is missing" in problem.message


def test_wrong_type(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=lambda d: d.update(minutes="twenty"))
    problem = only(check_content(root))
    assert problem.path == "$.minutes"
    assert "should be a number" in problem.message


def test_every_decoding_error_that_can_be_stepped_past_is_reported(tmp_path: Path) -> None:
    def many(d: Data) -> None:
        d["forms"][0]["policy"]["pass_mark"] = 80
        item(d, 0, 0)["promt"] = "A typo"
        item(d, 1, 2)["scale"]["labels"][0]["label"] = False
        d["surprise"] = 1
        d.pop("summary")  # a missing field: decoding stops here, at the end of the module

    problems = check_content(make_content(tmp_path, module=many))
    assert [p.path for p in problems] == [
        "$.forms[0].policy.pass_mark",
        "$.forms[0].items[0]",
        "$.forms[1].items[2].scale.labels[0].label",
        "$",
        "$",
    ]
    assert "`surprise` is not a field here" in problems[3].message
    assert "`summary` is missing" in problems[4].message


def test_text_that_yaml_reads_as_a_boolean(tmp_path: Path) -> None:
    def unquoted_no(d: Data) -> None:
        item(d, 1, 2)["scale"]["labels"][0]["label"] = False  # what YAML makes of `label: No`

    problem = only(check_content(make_content(tmp_path, module=unquoted_no)))
    assert problem.path == "$.forms[1].items[2].scale.labels[0].label"
    assert "put the text in quotes" in problem.message.lower()


def test_unknown_item_type_lists_the_types(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=lambda d: item(d, 1, 0).update(type="essay"))
    problem = only(check_content(root))
    assert problem.path == "$.forms[1].items[0].type"
    assert "`essay`" in problem.message and "`extended_text`" in problem.message


def test_unknown_enum_value_lists_the_values(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=lambda d: d["forms"][1].update(kind="survey"))
    problem = only(check_content(root))
    assert problem.path == "$.forms[1].kind"
    assert "`reflection`" in problem.message


def test_invalid_id(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=lambda d: d["activities"][1].update(id="Reflect Now"))
    problem = only(check_content(root))
    assert problem.path == "$.activities[1].id"
    assert "not a valid id" in problem.message


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["forms"][0]["policy"].update(pass_mark=80), "$.forms[0].policy.pass_mark"),
        (lambda d: d["forms"][0]["policy"].update(pass_mark=-0.5), "$.forms[0].policy.pass_mark"),
        (
            lambda d: d["completion"]["conditions"][0].update(min_score=1.2),
            "$.completion.conditions[0].min_score",
        ),
        (
            lambda d: d["completion"]["conditions"][0].update(min_score=-1),
            "$.completion.conditions[0].min_score",
        ),
    ],
)
def test_score_outside_zero_to_one(tmp_path: Path, change: Callable[[Data], object], path: str) -> None:
    problem = only(check_content(make_content(tmp_path, module=change)))
    assert problem.path == path
    assert "fraction from 0 to 1" in problem.message


def test_file_that_is_not_yaml_is_reported(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    (root / "modules" / "extra.yml").write_text("id: extra\n")
    problem = only(check_content(root))
    assert problem.file == "modules/extra.yml"
    assert "only `.yaml` files" in problem.message


def test_missing_course_file(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    (root / "course.yaml").unlink()
    problem = only(check_content(root))
    assert problem.file == "course.yaml"


# --- Answer keys and scoring ---


def test_choice_without_correct_option(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=lambda d: item(d, 0, 0)["options"][0].pop("correct"))
    problem = only(check_content(root))
    assert problem.path == "$.forms[0].items[0]"
    assert "No option" in problem.message and "correct: true" in problem.message


def test_choice_with_several_correct_options_needs_multiple(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=lambda d: item(d, 0, 0)["options"][1].update(correct=True))
    problem = only(check_content(root))
    assert problem.path == "$.forms[0].items[0]"
    assert "multiple: true" in problem.message

    def multiple(d: Data) -> None:
        item(d, 0, 0)["options"][1]["correct"] = True
        item(d, 0, 0)["multiple"] = True

    assert check_content(make_content(tmp_path, module=multiple)) == []


def test_choice_without_correct_option_is_fine_in_an_unscored_form(tmp_path: Path) -> None:
    def add_choice(d: Data) -> None:
        d["forms"][1]["items"].append(
            {
                "type": "choice",
                "id": "strongest",
                "prompt": "Which skill is your strongest?",
                "options": [
                    {"id": "listening", "text": "Listening", "feedback": "Keep it up."},
                    {"id": "follow-up", "text": "Following up", "feedback": "Keep it up."},
                ],
            }
        )

    assert check_content(make_content(tmp_path, module=add_choice)) == []


def test_classify_entry_in_unknown_category(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=lambda d: item(d, 0, 1)["entries"][0].update(category="outside"))
    problem = only(check_content(root))
    assert problem.path == "$.forms[0].items[1].entries[0].category"
    assert "`outside`" in problem.message and "`external`" in problem.message


def test_knowledge_check_must_be_scored_automatically(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=lambda d: d["forms"][0]["policy"].update(scoring="none"))
    problems = check_content(root)
    assert [p.path for p in problems] == [
        "$.forms[0].policy.scoring",
        "$.completion.conditions[0].form",  # quiz_passed cannot be met without a score
    ]
    assert "scoring: automatic" in problems[0].message


def test_knowledge_check_with_an_item_that_cannot_be_scored(tmp_path: Path) -> None:
    def add_essay(d: Data) -> None:
        d["forms"][0]["items"].append({"type": "extended_text", "id": "essay", "prompt": "Write."})

    problem = only(check_content(make_content(tmp_path, module=add_essay)))
    assert problem.path == "$.forms[0].items[4]"
    assert "`extended_text`" in problem.message


def test_automatic_scoring_without_scorable_items(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=lambda d: d["forms"][1]["policy"].update(scoring="automatic"))
    problem = only(check_content(root))
    assert problem.path == "$.forms[1].policy.scoring"


# --- Ids and references ---


def _duplicate(list_of: Callable[[Data], list[Data]], index: int = 1) -> Callable[[Data], None]:
    def change(d: Data) -> None:
        elements = list_of(d)
        elements[index]["id"] = elements[0]["id"]

    return change


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (_duplicate(lambda d: d["forms"]), "$.forms[1].id"),
        (_duplicate(lambda d: d["forms"][0]["items"]), "$.forms[0].items[1].id"),
        (_duplicate(lambda d: item(d, 0, 0)["options"]), "$.forms[0].items[0].options[1].id"),
        (_duplicate(lambda d: item(d, 0, 1)["entries"]), "$.forms[0].items[1].entries[1].id"),
        (_duplicate(lambda d: item(d, 0, 2)["entries"]), "$.forms[0].items[2].entries[1].id"),
        (
            _duplicate(lambda d: item(d, 1, 3)["statements"]),
            "$.forms[1].items[3].statements[1].id",
        ),
        (_duplicate(lambda d: item(d, 1, 4)["rows"]), "$.forms[1].items[4].rows[1].id"),
        (_duplicate(lambda d: item(d, 1, 4)["columns"]), "$.forms[1].items[4].columns[1].id"),
        (_duplicate(lambda d: d["activities"]), "$.activities[1].id"),
    ],
)
def test_duplicate_ids(tmp_path: Path, change: Callable[[Data], None], path: str) -> None:
    problems = check_content(make_content(tmp_path, module=change))
    assert path in [p.path for p in problems], "\n".join(map(str, problems))
    duplicate = next(p for p in problems if p.path == path)
    assert "already used" in duplicate.message


def test_duplicate_category_ids(tmp_path: Path) -> None:
    def change(d: Data) -> None:
        item(d, 0, 1)["categories"][1]["id"] = "internal"
        item(d, 0, 1)["entries"][0]["category"] = "internal"

    problem = only(check_content(make_content(tmp_path, module=change)))
    assert problem.path == "$.forms[0].items[1].categories[1].id"


def test_duplicate_handout_ids(tmp_path: Path) -> None:
    def change(d: Data) -> None:
        d["handouts"].append({"id": "notes", "title": "More notes", "body": "More."})

    problem = only(check_content(make_content(tmp_path, module=change)))
    assert problem.path == "$.handouts[1].id"


def test_duplicate_module_ids(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    write(root / "modules" / "skills.yaml", module_data("intro"))
    problems = check_content(root)
    assert [(p.file, p.path) for p in problems] == [
        ("modules/skills.yaml", "$.id"),  # the file name does not match the id
        ("modules/skills.yaml", "$.id"),  # the id is taken
        ("course.yaml", "$.modules[1]"),  # so no module `skills`
    ]
    assert "already used by modules/intro.yaml" in problems[1].message


def test_module_listed_twice_in_course(tmp_path: Path) -> None:
    root = make_content(tmp_path, course=lambda d: d["modules"].append("intro"))
    problem = only(check_content(root))
    assert (problem.file, problem.path) == ("course.yaml", "$.modules[2]")


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (
            lambda d: d["completion"]["conditions"][1].update(form="survey"),
            "$.completion.conditions[1].form",
        ),
        (lambda d: d["activities"][0].update(form="quiz"), "$.activities[0].form"),
        (lambda d: d["activities"][0].update(handout="reading"), "$.activities[0].handout"),
        (lambda d: d["materials"][0].update(ref="reading"), "$.materials[0].ref"),
        (
            lambda d: d["materials"][0].update(ref="check"),
            "$.materials[0].ref",
        ),  # a form, not a handout
        (
            lambda d: d["facilitator_script"][0].update(activity="game"),
            "$.facilitator_script[0].activity",
        ),
    ],
)
def test_reference_to_something_missing(tmp_path: Path, change: Callable[[Data], object], path: str) -> None:
    problem = only(check_content(make_content(tmp_path, module=change)))
    assert problem.path == path
    assert "does not have" in problem.message


def test_empty_all_of(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=lambda d: d["completion"].update(conditions=[]))
    problem = only(check_content(root))
    assert problem.path == "$.completion.conditions"
    assert "always met" in problem.message


# --- Text ---


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(title="   "), "$.title"),
        (lambda d: d["goals"].append(""), "$.goals[1]"),
        (
            lambda d: item(d, 0, 0)["options"][1].update(feedback="\n"),
            "$.forms[0].items[0].options[1].feedback",
        ),
    ],
)
def test_blank_english_text(tmp_path: Path, change: Callable[[Data], object], path: str) -> None:
    problem = only(check_content(make_content(tmp_path, module=change)))
    assert (problem.file, problem.path) == ("modules/intro.yaml", path)
    assert "empty" in problem.message


def test_blank_course_text(tmp_path: Path) -> None:
    problem = only(check_content(make_content(tmp_path, course=lambda d: d.update(description=""))))
    assert (problem.file, problem.path) == ("course.yaml", "$.description")


# --- Course and module files ---


def test_course_names_a_module_with_no_file(tmp_path: Path) -> None:
    root = make_content(tmp_path, course=lambda d: d["modules"].append("closing"))
    problem = only(check_content(root))
    assert (problem.file, problem.path) == ("course.yaml", "$.modules[2]")
    assert "no module file has that id" in problem.message


def test_module_file_not_in_course(tmp_path: Path) -> None:
    root = make_content(tmp_path, course=lambda d: d.update(modules=["intro"]))
    problem = only(check_content(root))
    assert (problem.file, problem.path) == ("modules/skills.yaml", "$.id")
    assert "not in the course" in problem.message


def test_module_file_named_after_another_id(tmp_path: Path) -> None:
    root = make_content(tmp_path, course=lambda d: d.update(modules=["intro", "skills", "other"]))
    (root / "modules" / "skills.yaml").rename(root / "modules" / "other.yaml")
    problems = check_content(root)
    assert [(p.file, p.path) for p in problems] == [
        ("modules/other.yaml", "$.id"),
        ("course.yaml", "$.modules[2]"),  # no module has the id `other`
    ]
    assert "rename the file to `skills.yaml`" in problems[0].message


# --- Translations ---


def test_translation_key_with_no_english_original(tmp_path: Path) -> None:
    key = "forms[check].items[q9].prompt"
    root = make_content(tmp_path, translation=lambda d: d["strings"].update({key: "¿Quién?"}))
    problem = only(check_content(root))
    assert (problem.file, problem.path) == ("translations/es/intro.yaml", key)
    assert "no English original" in problem.message


def test_translation_of_an_id_is_not_allowed(tmp_path: Path) -> None:
    root = make_content(tmp_path, translation=lambda d: d["strings"].update({"id": "intro-es"}))
    assert only(check_content(root)).path == "id"


def test_translation_for_an_unknown_module(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    data = translation_data() | {"module": "closing"}
    write(root / "translations" / "es" / "closing.yaml", data)
    problem = only(check_content(root))
    assert (problem.file, problem.path) == ("translations/es/closing.yaml", "$.module")
    assert "no module `closing`" in problem.message


def test_translation_locale_differs_from_folder(tmp_path: Path) -> None:
    root = make_content(tmp_path, translation=lambda d: d.update(locale="fr"))
    problem = only(check_content(root))
    assert (problem.file, problem.path) == ("translations/es/intro.yaml", "$.locale")
    assert "translations/fr/" in problem.message


def test_blank_translation(tmp_path: Path) -> None:
    root = make_content(tmp_path, translation=lambda d: d["strings"].update(title=""))
    assert only(check_content(root)).path == "title"


def test_translation_that_yaml_reads_as_a_boolean(tmp_path: Path) -> None:
    key = "forms[reflection].items[rating].scale.labels[0].label"
    root = make_content(tmp_path, translation=lambda d: d["strings"].update({key: False}))
    problem = only(check_content(root))
    assert problem.path == key
    assert "quotes" in problem.message


# --- The glossary of a translation's language ---

GLOSSARY: Data = {
    "terms": [
        {
            "term": "front office",
            "translation": "oficina principal",
            "inflections": ["oficinas principales"],
            "note": "The usual term in US districts.",
        },
        {"term": "interpreter line", "translation": "línea de intérpretes", "note": "The phone service."},
    ]
}


def with_glossary(root: Path, glossary: Data = GLOSSARY) -> Path:
    write(root / "translations" / "glossary-es.yaml", glossary)
    return root


def glossary_content(root: Path, english: str, spanish: str) -> Path:
    """A content folder with the glossary, whose module summary and its Spanish are given."""
    content = make_content(
        root,
        module=lambda d: d.update(summary=english),
        translation=lambda d: d["strings"].update(summary=spanish),
    )
    return with_glossary(content)


def test_a_translation_that_renders_a_glossary_term_another_way_is_a_problem(tmp_path: Path) -> None:
    root = glossary_content(
        tmp_path, "Who calls the *front-office* counter?", "¿Quién llama al mostrador de recepción?"
    )
    problem = only(check_content(root))
    assert (problem.file, problem.path) == ("translations/es/intro.yaml", "summary")
    assert "“front office”" in problem.message and "“oficina principal”" in problem.message
    assert "translations/glossary-es.yaml" in problem.message


@pytest.mark.parametrize(
    ("english", "spanish"),
    [
        ("Who calls the front office?", "¿Quién llama a la Oficina Principal?"),  # capitals
        ("Both front offices close at four.", "Las dos oficinas principales cierran a las cuatro."),
        ("Use the interpreter line.", "Use la LINEA DE INTERPRETES."),  # no accents
        ("Who calls the office?", "¿Quién llama a la recepción?"),  # no term in the English
    ],
)
def test_a_translation_that_keeps_to_the_glossary_passes(tmp_path: Path, english: str, spanish: str) -> None:
    assert check_content(glossary_content(tmp_path, english, spanish)) == []


def test_a_glossary_term_listed_twice(tmp_path: Path) -> None:
    twice = {"terms": [*GLOSSARY["terms"], GLOSSARY["terms"][0] | {"translation": "recepción"}]}
    problem = only(check_content(with_glossary(make_content(tmp_path), twice)))
    assert (problem.file, problem.path) == ("translations/glossary-es.yaml", "$.terms[2].term")
    assert "already in the glossary" in problem.message


def test_a_glossary_entry_is_decoded_strictly(tmp_path: Path) -> None:
    misspelt = {"terms": [GLOSSARY["terms"][1] | {"notes": "typo"}]}
    problem = only(check_content(with_glossary(make_content(tmp_path), misspelt)))
    assert (problem.file, problem.path) == ("translations/glossary-es.yaml", "$.terms[0]")
    assert "did you mean `note`?" in problem.message


def test_the_shipped_course_keeps_to_its_glossary() -> None:
    assert (CONTENT_DIR / "translations" / "glossary-es.yaml").is_file()
    assert check_content(CONTENT_DIR) == []
