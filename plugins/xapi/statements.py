"""xAPI statements from Front Office's events: pure, no I/O, so a retried delivery makes the very
same statements (same ids, same content) and an LRS stores each once.

Ids are name-based (UUID 5 in `NAMESPACE`): a statement's id from its event's id and its place
in the event's batch; a registration from the attempt (or completion) it belongs to. Activity
ids live under the service's base URL (see README, "xAPI"):

    {base}/xapi/modules/{module}                                the module
    {base}/xapi/modules/{module}/forms/{form}                   a knowledge check
    {base}/xapi/modules/{module}/forms/{form}/items/{item}      one question of it

The actor is an account on the district's Front Office (`{base}/districts/{district id}`) named
by the learner's Front Office id: no name, no email.
"""

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from plugins.contract import is_scorable, score_item
from schemas.content import (
    ChoiceItem,
    ClassifyItem,
    ExtendedTextItem,
    Form,
    Item,
    ListItem,
    MatrixItem,
    Module,
    OrderItem,
    RatingItem,
    ScenarioItem,
    TableItem,
    TextEntryItem,
)

NAMESPACE = uuid.UUID("6a3f6f0e-2c1b-5d7e-9a41-0f7c0e5b1d21")
"""Front Office's namespace for xAPI ids; fixed forever, or every id would change."""

Statement = dict[str, Any]
LanguageMap = dict[str, str]

VERBS = {
    name: {"id": f"http://adlnet.gov/expapi/verbs/{name}", "display": {"en-US": name}}
    for name in ("launched", "answered", "passed", "failed", "completed")
}
MODULE_TYPE = "http://adlnet.gov/expapi/activities/module"
ASSESSMENT_TYPE = "http://adlnet.gov/expapi/activities/assessment"
INTERACTION_TYPE = "http://adlnet.gov/expapi/activities/cmi.interaction"
PLATFORM = "Front Office"
SEP = "[,]"  # xAPI's list separator in response patterns
PAIR = "[.]"  # and between the two sides of a matching pair


def statement_id(event_id: uuid.UUID, index: int) -> uuid.UUID:
    """The id of the event's `index`-th statement: the same on every delivery of the event."""
    return uuid.uuid5(NAMESPACE, f"{event_id}/{index}")


def registration(kind: str, record_id: uuid.UUID) -> uuid.UUID:
    """`context.registration` of every statement about one attempt (or one completion)."""
    return uuid.uuid5(NAMESPACE, f"{kind}/{record_id}")


def iso_duration(start: datetime, end: datetime) -> str:
    """ISO 8601 duration, to the hundredth of a second xAPI keeps (`PT1H2M3.5S`)."""
    centis = max(0, round((end - start).total_seconds() * 100))
    hours, centis = divmod(centis, 360_000)
    minutes, centis = divmod(centis, 6_000)
    seconds = f"{centis / 100:.2f}".rstrip("0").rstrip(".")
    parts = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return "PT" + parts + (f"{seconds}S" if centis or not parts else "")


def timestamp(at: datetime) -> str:
    """UTC, ISO 8601, with its offset (naive times are the database's UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Urls:
    """Where a district's actors and activities are named."""

    def __init__(self, base_url: str, district_id: uuid.UUID) -> None:
        self.base = base_url.rstrip("/")
        self.home_page = f"{self.base}/districts/{district_id}"

    def actor(self, learner_id: uuid.UUID) -> dict[str, Any]:
        return {"objectType": "Agent", "account": {"homePage": self.home_page, "name": str(learner_id)}}

    def module(self, module_id: str) -> str:
        return f"{self.base}/xapi/modules/{module_id}"

    def form(self, module_id: str, form_id: str) -> str:
        return f"{self.module(module_id)}/forms/{form_id}"

    def item(self, module_id: str, form_id: str, item_id: str) -> str:
        return f"{self.form(module_id, form_id)}/items/{item_id}"


def _lang(texts: Mapping[str, str]) -> LanguageMap:
    """A language map without empty strings (an LRS may refuse them)."""
    return {language: text for language, text in texts.items() if text}


def _described(ids_and_texts: Sequence[tuple[str, Mapping[str, str]]]) -> list[dict[str, Any]]:
    return [{"id": id_, "description": _lang(texts)} for id_, texts in ids_and_texts]


def interaction(item: Item, localized: Mapping[str, Item]) -> dict[str, Any]:
    """The cmi.interaction definition of an item: its type, its parts, and the pattern of its
    right answer where it has one. `localized` is the item in each language, by language tag."""
    name = _lang({lang: i.prompt for lang, i in localized.items()})
    definition: dict[str, Any] = {"type": INTERACTION_TYPE, "name": name, "description": name}

    def parts(get: Any, what: Any) -> list[dict[str, Any]]:
        ids = [part.id for part in get(item)]
        return _described(
            [
                (id_, {lang: what(next(p for p in get(i) if p.id == id_)) for lang, i in localized.items()})
                for id_ in ids
            ]
        )

    match item:
        case ChoiceItem():
            definition["interactionType"] = "choice"
            definition["choices"] = parts(lambda i: i.options, lambda o: o.text)
            right = [o.id for o in item.options if o.correct]
            if right:
                definition["correctResponsesPattern"] = [SEP.join(right)]
        case ClassifyItem():
            definition["interactionType"] = "matching"
            definition["source"] = parts(lambda i: i.entries, lambda e: e.text)
            definition["target"] = parts(lambda i: i.categories, lambda c: c.label)
            definition["correctResponsesPattern"] = [
                SEP.join(f"{e.id}{PAIR}{e.category}" for e in item.entries)
            ]
        case OrderItem():
            definition["interactionType"] = "sequencing"
            definition["choices"] = parts(lambda i: i.entries, lambda e: e.text)
            definition["correctResponsesPattern"] = [SEP.join(e.id for e in item.entries)]
        case TextEntryItem():
            definition["interactionType"] = "fill-in"
            matters = "true" if item.case_sensitive else "false"
            accepted = [a for i in localized.values() if isinstance(i, TextEntryItem) for a in i.accepted]
            definition["correctResponsesPattern"] = [
                f"{{case_matters={matters}}}{a}" for a in dict.fromkeys(accepted)
            ]
        case ExtendedTextItem():
            definition["interactionType"] = "long-fill-in"
        case ListItem():
            definition["interactionType"] = "fill-in"
        case RatingItem():
            definition["interactionType"] = "likert"
            labels = {label.value: label.label for label in item.scale.labels}
            definition["scale"] = _described(
                [(str(v), {"en": labels.get(v, str(v))}) for v in range(item.scale.min, item.scale.max + 1)]
            )
        case MatrixItem():
            definition["interactionType"] = "matching"
            definition["source"] = parts(lambda i: i.statements, lambda s: s.text)
            labels = {label.value: label.label for label in item.scale.labels}
            definition["target"] = _described(
                [(str(v), {"en": labels.get(v, str(v))}) for v in range(item.scale.min, item.scale.max + 1)]
            )
        case TableItem() | ScenarioItem():
            definition["interactionType"] = "other"
    return definition


def response(item: Item, answer: Any) -> str:
    """A learner's answer in the interaction type's response format."""
    match item:
        case ChoiceItem() | OrderItem() | ListItem() | ScenarioItem():
            return SEP.join(str(a) for a in answer)
        case ClassifyItem() | MatrixItem():
            return SEP.join(f"{key}{PAIR}{value}" for key, value in answer.items())
        case TextEntryItem() | ExtendedTextItem():
            return str(answer)
        case RatingItem():
            return str(answer)
        case TableItem():
            return json.dumps(answer, ensure_ascii=False, separators=(",", ":"))


class AttemptFacts:
    """What the statements of a submitted knowledge-check attempt are made from."""

    def __init__(
        self,
        *,
        event_id: uuid.UUID,
        attempt_id: uuid.UUID,
        learner_id: uuid.UUID,
        module: Module,
        module_version: str,
        form: Form,
        localized_forms: Mapping[str, Form],
        item_order: Sequence[str],
        answers: Mapping[str, Any],
        score: float | None,
        passed: bool | None,
        started_at: datetime,
        submitted_at: datetime,
    ) -> None:
        self.event_id = event_id
        self.attempt_id = attempt_id
        self.learner_id = learner_id
        self.module = module
        self.module_version = module_version
        self.form = form
        self.localized_forms = localized_forms
        self.item_order = item_order
        self.answers = answers
        self.score = score
        self.passed = passed
        self.started_at = started_at
        self.submitted_at = submitted_at


def _statement(
    urls: Urls,
    learner_id: uuid.UUID,
    id_: uuid.UUID,
    verb: str,
    activity: dict[str, Any],
    context: dict[str, Any],
    at: datetime,
    result: dict[str, Any] | None = None,
) -> Statement:
    out: Statement = {
        "id": str(id_),
        "actor": urls.actor(learner_id),
        "verb": VERBS[verb],
        "object": {"objectType": "Activity", **activity},
        "context": context,
        "timestamp": timestamp(at),
    }
    if result is not None:
        out["result"] = result
    return out


def attempt_statements(urls: Urls, facts: AttemptFacts, *, responses: bool) -> list[Statement]:
    """A knowledge-check attempt: `launched` (when it was started), `answered` for each question
    in the order the learner saw them, then `passed` or `failed` when it has a pass mark."""
    module, form = facts.module, facts.form
    form_activity = {
        "id": urls.form(module.id, form.id),
        "definition": {
            "type": ASSESSMENT_TYPE,
            "name": _lang({lang: f.title for lang, f in facts.localized_forms.items()}),
        },
    }
    module_ref = {"id": urls.module(module.id), "definition": {"type": MODULE_TYPE}}
    registered = str(registration("attempt", facts.attempt_id))
    on_form = {
        "registration": registered,
        "platform": PLATFORM,
        "revision": facts.module_version,
        "contextActivities": {"parent": [module_ref]},
    }
    on_item = {
        **on_form,
        "contextActivities": {"parent": [{"id": form_activity["id"]}], "grouping": [module_ref]},
    }
    index = 0

    def next_id() -> uuid.UUID:
        nonlocal index
        index += 1
        return statement_id(facts.event_id, index - 1)

    out = [
        _statement(urls, facts.learner_id, next_id(), "launched", form_activity, on_form, facts.started_at)
    ]
    items = {item.id: item for item in form.items}
    for item_id in [*facts.item_order, *(i for i in items if i not in facts.item_order)]:
        item = items.get(item_id)
        if item is None:
            continue
        localized = {
            lang: next(i for i in f.items if i.id == item_id) for lang, f in facts.localized_forms.items()
        }
        answer = facts.answers.get(item_id)
        result: dict[str, Any] = {}
        if answer is not None and responses:
            result["response"] = response(item, answer)
        if is_scorable(item):
            credit, full = score_item(item, answer)
            result["success"] = full
            result["score"] = {"scaled": round(credit, 4)}
        activity = {"id": urls.item(module.id, form.id, item_id), "definition": interaction(item, localized)}
        out.append(
            _statement(
                urls,
                facts.learner_id,
                next_id(),
                "answered",
                activity,
                on_item,
                facts.submitted_at,
                result or None,
            )
        )
    if facts.passed is not None:
        result = {
            "success": facts.passed,
            "completion": True,
            "duration": iso_duration(facts.started_at, facts.submitted_at),
        }
        if facts.score is not None:
            result["score"] = {"scaled": round(facts.score, 4)}
        verb = "passed" if facts.passed else "failed"
        out.append(
            _statement(
                urls, facts.learner_id, next_id(), verb, form_activity, on_form, facts.submitted_at, result
            )
        )
    return out


def completion_statements(
    urls: Urls,
    *,
    event_id: uuid.UUID,
    completion_id: uuid.UUID,
    learner_id: uuid.UUID,
    module_id: str,
    module_titles: Mapping[str, str],
    module_version: str,
    score: float | None,
    passed: bool | None,
    started_at: datetime,
    completed_at: datetime,
) -> list[Statement]:
    """A module completed: `completed`, with the score the record keeps and the time from the
    learner's first work on the module to its completion."""
    result: dict[str, Any] = {"completion": True, "duration": iso_duration(started_at, completed_at)}
    if score is not None:
        result["score"] = {"scaled": round(score, 4)}
    if passed is not None:
        result["success"] = passed
    activity = {
        "id": urls.module(module_id),
        "definition": {"type": MODULE_TYPE, "name": _lang(module_titles)},
    }
    context = {
        "registration": str(registration("completion", completion_id)),
        "platform": PLATFORM,
        "revision": module_version,
    }
    return [
        _statement(
            urls, learner_id, statement_id(event_id, 0), "completed", activity, context, completed_at, result
        )
    ]
