"""The content checker on branching scenarios: each check that keeps a scenario playable is
broken once, on the small content folder of test_check.py."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from api.content.loader import check_content
from tests.content.test_check import make_content, only

Data = dict[str, Any]


def scenario() -> Data:
    """A playable scenario: a call, a check, a safe and an unsafe ending, and a loop with an exit."""
    return {
        "type": "scenario",
        "id": "caller",
        "prompt": "7:55, the phone rings.",
        "start": "call",
        "nodes": [
            {
                "id": "call",
                "text": "A caller asks which bus a student takes.",
                "choices": [
                    {"id": "tell", "text": "Tell him.", "feedback": "Not verified.", "next": "told"},
                    {"id": "check", "text": "Check the record.", "feedback": "Good.", "next": "record"},
                ],
            },
            {
                "id": "record",
                "text": "He is not on the record.",
                "choices": [
                    {"id": "offer", "text": "Offer a call-back.", "feedback": "Safe.", "next": "safe"},
                    {"id": "recheck", "text": "Ask again.", "feedback": "Still no.", "next": "again"},
                ],
            },
            {
                "id": "again",
                "text": "He repeats the question.",
                "choices": [{"id": "back", "text": "Look again.", "feedback": "Same.", "next": "record"}],
            },
        ],
        "endings": [
            {"id": "safe", "title": "Safe", "text": "The parent calls back.", "score": 1},
            {"id": "told", "title": "Unsafe", "text": "A stranger knows.", "score": 0, "safe": False},
        ],
    }


def with_scenario(change: Callable[[Data], object] = lambda s: None) -> Callable[[Data], None]:
    def edit(module: Data) -> None:
        data = scenario()
        change(data)
        module["forms"][0]["items"].append(data)
        module["facilitator_script"][0]["minutes"] = 4  # a scenario counts two minutes in the room

    return edit


SCENARIO = "$.forms[0].items[4]"


def test_a_playable_scenario_passes(tmp_path: Path) -> None:
    assert check_content(make_content(tmp_path, module=with_scenario())) == []


def _node(data: Data, node_id: str) -> Data:
    found: Data = next(n for n in data["nodes"] if n["id"] == node_id)
    return found


def _unreachable(data: Data) -> None:
    data["nodes"].append(
        {
            "id": "orphan",
            "text": "Nobody gets here.",
            "choices": [{"id": "x", "text": "X", "feedback": "X", "next": "safe"}],
        }
    )


def _missing_target(data: Data) -> None:
    _node(data, "record")["choices"][0]["next"] = "nowhere"


def _no_exit(data: Data) -> None:
    # `record` now only leads to `again`, which leads back: a loop nobody can leave.
    _node(data, "record")["choices"][0]["next"] = "again"


def _no_endings(data: Data) -> None:
    data["endings"] = []


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (_unreachable, f"{SCENARIO}.nodes[3]", "No path from the start node"),
        (_missing_target, f"{SCENARIO}.nodes[1].choices[0].next", "neither a node nor an ending"),
        (_no_exit, f"{SCENARIO}.nodes[1]", "no ending can be reached"),
        (lambda d: d.update(start="nope"), f"{SCENARIO}.start", "not one of its nodes"),
        (lambda d: d["endings"][1].update(id="record"), f"{SCENARIO}.endings[1].id", "already used"),
        (lambda d: d["endings"][0].update(safe=False), f"{SCENARIO}.endings", "nobody can pass"),
    ],
    ids=[
        "unreachable-node",
        "choice-to-missing-node",
        "cycle-without-exit",
        "bad-start",
        "shared-id",
        "no-safe",
    ],
)
def test_each_graph_check(tmp_path: Path, change: Callable[[Data], None], path: str, words: str) -> None:
    problems = check_content(make_content(tmp_path, module=with_scenario(change)))
    found = [p for p in problems if p.path == path]
    assert found, "\n".join(map(str, problems))
    assert words in found[0].message


def test_cycle_without_exit_names_every_trapped_node(tmp_path: Path) -> None:
    problems = check_content(make_content(tmp_path, module=with_scenario(_no_exit)))
    trapped = {p.path for p in problems if "no ending can be reached" in p.message}
    assert trapped == {f"{SCENARIO}.nodes[1]", f"{SCENARIO}.nodes[2]"}


def test_scenario_without_endings(tmp_path: Path) -> None:
    problems = check_content(make_content(tmp_path, module=with_scenario(_no_endings)))
    assert f"{SCENARIO}.endings" in [p.path for p in problems]
    assert any("has no endings" in p.message for p in problems)


def test_a_scenario_scores_a_knowledge_check(tmp_path: Path) -> None:
    # A knowledge check may hold a scenario: it has a right answer (its safe ending).
    def only_scenario(module: Data) -> None:
        module["forms"][0]["items"] = [scenario()]

    def translate_it(translation: Data) -> None:
        translation["strings"] = {"forms[check].items[caller].nodes[call].choices[tell].feedback": "No."}

    assert check_content(make_content(tmp_path, module=only_scenario, translation=translate_it)) == []


def test_unknown_field_in_a_node_is_refused(tmp_path: Path) -> None:
    problem = only(
        check_content(make_content(tmp_path, module=with_scenario(lambda d: d["nodes"][0].update(txt="x"))))
    )
    assert problem.path == f"{SCENARIO}.nodes[0]"
    assert "did you mean `text`" in problem.message
