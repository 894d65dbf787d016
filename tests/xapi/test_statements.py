"""The statements the xAPI plugin makes, without an LRS: every item type's interaction, the ids
that make a redelivery the same statements, durations, and what is left out."""

import functools
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from plugins.xapi.statements import (
    AttemptFacts,
    Urls,
    attempt_statements,
    completion_statements,
    interaction,
    iso_duration,
    registration,
    response,
    statement_id,
)
from schemas.content import ChoiceItem, Item, Module

MODULE = Path(__file__).parents[2] / "content" / "modules" / "who-are-our-customers.yaml"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SCALE = {"min": 1, "max": 3, "labels": [{"value": 1, "label": "Never"}, {"value": 3, "label": "Always"}]}


def item(**fields: Any) -> Item:
    return msgspec.convert(fields, Item)  # type: ignore[arg-type]


# Every item type: its interaction type, its right answer's pattern (if any), and an answer
# with the response it is sent as.
CASES = [
    (
        item(type="choice", id="q", prompt="Who?", multiple=True, options=[
            {"id": "a", "text": "A", "feedback": "", "correct": True},
            {"id": "b", "text": "B", "feedback": ""},
            {"id": "c", "text": "C", "feedback": "", "correct": True},
        ]),
        "choice", ["a[,]c"], ["a", "b"], "a[,]b",
    ),
    (
        item(type="classify", id="q", prompt="Sort", categories=[
            {"id": "in", "label": "Internal"}, {"id": "out", "label": "External"},
        ], entries=[
            {"id": "bus", "text": "Bus driver", "category": "in", "feedback": ""},
            {"id": "mom", "text": "A parent", "category": "out", "feedback": ""},
        ]),
        "matching", ["bus[.]in[,]mom[.]out"], {"bus": "out", "mom": "out"}, "bus[.]out[,]mom[.]out",
    ),
    (
        item(type="order", id="q", prompt="Order", feedback="", entries=[
            {"id": "greet", "text": "Greet"}, {"id": "listen", "text": "Listen"},
        ]),
        "sequencing", ["greet[,]listen"], ["listen", "greet"], "listen[,]greet",
    ),
    (
        item(type="text_entry", id="q", prompt="Word?", accepted=["Empathy", "empathie"],
             feedback_correct="", feedback_incorrect=""),
        "fill-in", ["{case_matters=false}Empathy", "{case_matters=false}empathie"], "empathy", "empathy",
    ),
    (item(type="extended_text", id="q", prompt="Why?"), "long-fill-in", None, "Because.", "Because."),
    (item(type="list", id="q", prompt="List"), "fill-in", None, ["one", "two"], "one[,]two"),
    (item(type="rating", id="q", prompt="How often?", scale=SCALE), "likert", None, 3, "3"),
    (
        item(type="matrix", id="q", prompt="Rate", scale=SCALE,
             statements=[{"id": "s1", "text": "I smile"}, {"id": "s2", "text": "I listen"}]),
        "matching", None, {"s1": 1, "s2": 3}, "s1[.]1[,]s2[.]3",
    ),
    (
        item(type="table", id="q", prompt="Plan", columns=[{"id": "what", "label": "What"}]),
        "other", None, [{"what": "call back"}], '[{"what":"call back"}]',
    ),
    (
        item(type="scenario", id="q", prompt="A call", start="n1", nodes=[
            {"id": "n1", "text": "Ring",
             "choices": [{"id": "pick", "text": "Pick up", "feedback": "", "next": "e1"}]},
        ], endings=[{"id": "e1", "title": "Done", "text": "", "score": 1}]),
        "other", None, ["pick"], "pick",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("the_item", "kind", "pattern", "answer", "sent"), CASES)
def test_every_item_type_is_an_interaction(
    the_item: Item, kind: str, pattern: list[str] | None, answer: Any, sent: str
) -> None:
    definition = interaction(the_item, {"en": the_item})
    assert definition["type"] == "http://adlnet.gov/expapi/activities/cmi.interaction"
    assert definition["interactionType"] == kind
    assert definition.get("correctResponsesPattern") == pattern
    assert definition["name"] == {"en": the_item.prompt}
    assert response(the_item, answer) == sent


def test_parts_carry_every_language() -> None:
    english = CASES[0][0]
    spanish = msgspec.structs.replace(
        english,
        prompt="¿Quién?",
        options=[msgspec.structs.replace(o, text=o.text + " (es)") for o in english.options],  # type: ignore[union-attr]
    )
    definition = interaction(english, {"en": english, "es": spanish})
    assert definition["choices"][0] == {"id": "a", "description": {"en": "A", "es": "A (es)"}}
    assert definition["name"] == {"en": "Who?", "es": "¿Quién?"}


def test_durations_are_iso_8601() -> None:
    assert iso_duration(START, START) == "PT0S"
    assert iso_duration(START, START + timedelta(seconds=75.5)) == "PT1M15.5S"
    assert iso_duration(START, START + timedelta(hours=2, seconds=3)) == "PT2H3S"
    assert iso_duration(START + timedelta(seconds=5), START) == "PT0S"  # clocks never run backwards here


@functools.cache
def module() -> Module:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return msgspec.convert(yaml.load(MODULE.read_text(), Loader=loader), Module)


def facts(event_id: uuid.UUID, **changes: Any) -> AttemptFacts:
    form = next(f for f in module().forms if f.id == "knowledge-check")
    fields: dict[str, Any] = {
        "event_id": event_id,
        "attempt_id": uuid.UUID(int=7),
        "learner_id": uuid.UUID(int=8),
        "module": module(),
        "module_version": "1.0.0",
        "form": form,
        "localized_forms": {"en": form},
        "item_order": [i.id for i in reversed(form.items)],
        "answers": {},
        "score": 0.0,
        "passed": False,
        "started_at": START,
        "submitted_at": START + timedelta(minutes=4),
    }
    return AttemptFacts(**(fields | changes))


def test_an_attempt_is_the_same_statements_on_every_delivery() -> None:
    urls, event_id = Urls("https://fo.example.org/", uuid.UUID(int=1)), uuid.uuid4()
    first = attempt_statements(urls, facts(event_id), responses=True)
    assert first == attempt_statements(urls, facts(event_id), responses=True)
    assert [s["id"] for s in first] == [str(statement_id(event_id, n)) for n in range(len(first))]
    assert {s["context"]["registration"] for s in first} == {str(registration("attempt", uuid.UUID(int=7)))}
    verbs = [s["verb"]["display"]["en-US"] for s in first]
    assert verbs[0] == "launched" and verbs[-1] == "failed" and set(verbs[1:-1]) == {"answered"}
    assert first[0]["timestamp"] == "2026-03-02T09:00:00.000Z"
    # Questions in the order the learner saw them; unanswered ones are wrong, with no response.
    form = facts(event_id).form
    assert [s["object"]["id"].rsplit("/", 1)[1] for s in first[1:-1]] == [i.id for i in reversed(form.items)]
    assert all(s["result"] == {"success": False, "score": {"scaled": 0.0}} for s in first[1:-1])
    assert first[-1]["result"] == {
        "success": False,
        "completion": True,
        "duration": "PT4M",
        "score": {"scaled": 0},
    }
    assert first[0]["actor"] == {
        "objectType": "Agent",
        "account": {
            "homePage": f"https://fo.example.org/districts/{uuid.UUID(int=1)}",
            "name": str(uuid.UUID(int=8)),
        },
    }
    assert all(
        s["object"]["id"].startswith("https://fo.example.org/xapi/modules/who-are-our-customers")
        for s in first
    )


def test_responses_can_be_left_out() -> None:
    event_id = uuid.uuid4()
    form = facts(event_id).form
    choice = next(i for i in form.items if isinstance(i, ChoiceItem))
    right = [o.id for o in choice.options if o.correct]
    urls = Urls("https://fo.example.org", uuid.UUID(int=1))
    answered = facts(event_id, answers={choice.id: right}, passed=None, score=None)
    sent = attempt_statements(urls, answered, responses=True)
    kept = attempt_statements(urls, answered, responses=False)
    assert len(sent) == len(form.items) + 1  # no pass mark known: no passed/failed
    by_item = {s["object"]["id"].rsplit("/", 1)[1]: s["result"] for s in sent[1:]}
    assert by_item[choice.id] == {"response": "[,]".join(right), "success": True, "score": {"scaled": 1.0}}
    assert all("response" not in s.get("result", {}) for s in kept)


def test_a_completion_is_one_completed_statement() -> None:
    urls, event_id, completion_id = (
        Urls("https://fo.example.org", uuid.UUID(int=1)),
        uuid.uuid4(),
        uuid.uuid4(),
    )
    (completed,) = completion_statements(
        urls,
        event_id=event_id,
        completion_id=completion_id,
        learner_id=uuid.UUID(int=8),
        module_id="who-are-our-customers",
        module_titles={"en": "Who are our customers?", "es": ""},
        module_version="1.0.0",
        score=0.9,
        passed=True,
        started_at=START,
        completed_at=START + timedelta(hours=1, minutes=1, seconds=1.25),
    )
    assert completed["id"] == str(statement_id(event_id, 0))
    assert completed["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert completed["result"] == {
        "completion": True,
        "duration": "PT1H1M1.25S",
        "score": {"scaled": 0.9},
        "success": True,
    }
    assert completed["object"]["definition"]["name"] == {"en": "Who are our customers?"}  # empty: left out
    assert completed["context"]["registration"] == str(registration("completion", completion_id))
