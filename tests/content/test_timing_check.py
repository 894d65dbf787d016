"""The time check: a stated time shorter than the reading and writing it asks for is a warning,
self-paced and in the workshop; `content check` fails on it, loading the course does not."""

from pathlib import Path

from click.testing import CliRunner

from api.cli import main
from api.content.loader import check_content, load_course
from api.content.timing import READING_WPM, WRITING_WPM
from tests.content.test_check import Data, make_content, only


def _long_handout(module: Data) -> None:
    # 960 words: nearly five minutes of reading on a phone, in an activity that says five with its check.
    module["handouts"][0]["body"] = "Every family that calls deserves a clear answer. " * 120


def test_a_self_paced_time_shorter_than_its_reading_is_a_warning(tmp_path: Path) -> None:
    root = make_content(tmp_path, module=_long_handout)
    problem = only(check_content(root))
    assert (problem.file, problem.path, problem.severity) == (
        "modules/intro.yaml",
        "$.activities[0].minutes",
        "warning",
    )
    assert "Self-paced, `warm-up` state 5 minutes" in problem.message
    assert f"{READING_WPM} words a minute read, {WRITING_WPM} written" in problem.message
    assert str(problem).startswith("modules/intro.yaml: $.activities[0].minutes: warning: ")
    # A warning does not stop the course from loading (serve and publish go on) ...
    assert load_course(root).module("intro").minutes == 20
    # ... but the author's check fails on it.
    result = CliRunner().invoke(main, ["content", "check", "--dir", str(root)])
    assert result.exit_code == 1 and "warning: Self-paced" in result.output


def test_raising_the_minutes_clears_the_warning(tmp_path: Path) -> None:
    def longer(module: Data) -> None:
        _long_handout(module)
        module["activities"][0]["minutes"] = 6.5

    assert check_content(make_content(tmp_path, module=longer)) == []


def test_a_workshop_step_too_short_for_its_form_is_a_warning(tmp_path: Path) -> None:
    def rushed(module: Data) -> None:
        module["facilitator_script"][0]["minutes"] = 0.25

    problem = only(check_content(make_content(tmp_path, module=rushed)))
    assert (problem.path, problem.severity) == ("$.facilitator_script[0].minutes", "warning")
    assert "the script gives form `check` (`warm-up`) 0.25 minutes" in problem.message


def _free_text(required: bool) -> Data:
    return {
        "type": "extended_text",
        "id": "story",
        "prompt": "Tell a story.",
        "min_length": 200,
        "required": required,
    }


def test_a_required_free_text_box_counts_and_an_optional_one_does_not(tmp_path: Path) -> None:
    # Three required boxes of 200 characters each: about two minutes each at 15 words a minute.
    def boxes(required: bool) -> Data:
        return {
            "id": "stories",
            "kind": "worksheet",
            "title": "Stories",
            "instructions": "Write.",
            "policy": {"scoring": "completion"},
            "items": [_free_text(required) | {"id": f"story-{n}"} for n in range(3)],
        }

    def with_boxes(required: bool) -> Data:
        def change(module: Data) -> None:
            module["forms"].append(boxes(required))
            module["activities"][1].update(form="stories", mode="self_paced")

        return change

    problem = only(check_content(make_content(tmp_path / "required", module=with_boxes(True))))
    assert problem.path == "$.activities[1].minutes" and "`reflect` state 5 minutes" in problem.message
    assert check_content(make_content(tmp_path / "optional", module=with_boxes(False))) == []
