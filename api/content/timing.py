"""How long a module's activities take, from their reading and writing load.

The model (its numbers and their sources are in content/AUTHORING.md, "Times"): a staff member
on a phone reads `READING_WPM` words a minute (handouts, instructions, prompts, options, and
the feedback a scored item shows after submit), composes free text at `WRITING_WPM` words a
minute (a required answer is at least `ANSWER_WORDS` words), and spends a few seconds deciding
each choice, placing each entry, rating each statement. Optional boxes cost nothing: a learner
may skip them. A branching scenario counts `SCENARIO_MINUTES`.

`timing_problems` compares the model with what a module states, in both delivery modes:

- self-paced: the activities that share a form (or one activity without a form) must state at
  least the minutes of their handouts, instructions and form;
- workshop: the facilitator script's steps that run those activities must give at least the
  minutes to fill in and submit the form (the room talks a handout through together, and a
  knowledge check's feedback stays there to read after the session).
"""

import re
from collections.abc import Iterator, Sequence

from schemas.content import (
    Activity,
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

READING_WPM = 200
"""Words read a minute: adults read English non-fiction silently at about 240 (Brysbaert 2019),
slower on a phone's small screen and between calls."""
WRITING_WPM = 15
"""Words composed a minute in a free-text box on a phone: thinking, typing and correcting."""
ANSWER_WORDS = 15
"""The fewest words a required free-text answer is counted as (a sentence or two)."""
WORDS_PER_ENTRY = 4
"""Words in one list entry or one table cell ("the cafeteria manager")."""
CHOICE_SECONDS = 10
"""Deciding a choice, a text entry or a rating, beyond reading it."""
PLACE_SECONDS = 5
"""Placing one entry of a classify or order item, or rating one statement of a matrix."""
SCENARIO_MINUTES = 2.0
"""One branching scenario: one path read, a choice at each node, the feedback."""
SLACK_MINUTES = 0.25
"""Stated minutes may fall this far short of the model before a warning: it is an estimate."""

_WORD = re.compile(r"[\w'’]+")

Found = Iterator[tuple[str, str]]


def words(*texts: str) -> int:
    """The words of Markdown `texts` (markup characters are not words)."""
    return sum(len(_WORD.findall(text)) for text in texts)


def _written(count_words: float) -> float:
    return count_words / WRITING_WPM


def item_minutes(item: Item, *, scored: bool) -> float:
    """Minutes to read, answer and (when `scored`, so feedback is shown) read the feedback of one item."""
    if isinstance(item, ScenarioItem):
        return SCENARIO_MINUTES
    read = words(item.prompt)
    seconds = 0.0
    write = 0.0
    if isinstance(item, ChoiceItem):
        read += words(*(option.text for option in item.options))
        if scored:
            read += max(words(option.feedback) for option in item.options)
        seconds = CHOICE_SECONDS
    elif isinstance(item, ClassifyItem):
        read += words(*(c.label for c in item.categories), *(e.text for e in item.entries))
        if scored:
            read += words(*(entry.feedback for entry in item.entries))
        seconds = PLACE_SECONDS * len(item.entries)
    elif isinstance(item, OrderItem):
        read += words(*(entry.text for entry in item.entries))
        if scored:
            read += words(item.feedback)
        seconds = PLACE_SECONDS * len(item.entries)
    elif isinstance(item, TextEntryItem):
        if scored:
            read += max(words(item.feedback_correct), words(item.feedback_incorrect))
        seconds = CHOICE_SECONDS
    elif isinstance(item, ExtendedTextItem):
        if item.required:
            write = _written(max(ANSWER_WORDS, item.min_length / 6))
    elif isinstance(item, ListItem):
        write = _written(WORDS_PER_ENTRY * item.min_entries)
    elif isinstance(item, TableItem):
        read += words(*(c.label for c in item.columns), *(r.label for r in item.rows))
        write = _written(WORDS_PER_ENTRY * item.min_rows * len(item.columns))
    elif isinstance(item, RatingItem):
        read += words(*(label.label for label in item.scale.labels))
        seconds = CHOICE_SECONDS if item.required else 0
    elif isinstance(item, MatrixItem):
        read += words(*(s.text for s in item.statements), *(label.label for label in item.scale.labels))
        seconds = PLACE_SECONDS * len(item.statements) if item.required else 0
    return read / READING_WPM + seconds / 60 + write


def form_minutes(form: Form, *, feedback: bool = True) -> float:
    """Minutes a learner needs for the whole form, one attempt; with the feedback a scored form
    shows after submit unless `feedback` is false."""
    scored = feedback and form.policy.scoring == "automatic"
    return words(form.instructions) / READING_WPM + sum(item_minutes(i, scored=scored) for i in form.items)


def _groups(module: Module) -> list[list[int]]:
    """Indexes of the activities that share a form; an activity without a form is its own group."""
    groups: dict[str, list[int]] = {}
    for index, activity in enumerate(module.activities):
        groups.setdefault(activity.form or f"#{index}", []).append(index)
    return list(groups.values())


def _named(module: Module, group: Sequence[int]) -> str:
    return " + ".join(f"`{module.activities[i].id}`" for i in group)


def _self_paced(module: Module, group: Sequence[int]) -> float:
    activities: list[Activity] = [module.activities[i] for i in group]
    handouts = {h.id: h for h in module.handouts}
    read = words(*(a.instructions for a in activities))
    read += sum(words(handouts[a.handout].body) for a in activities if a.handout in handouts)
    forms = {f.id: f for f in module.forms}
    form = forms.get(activities[0].form or "")
    return read / READING_WPM + (form_minutes(form) if form else 0.0)


def _short(stated: float, needed: float) -> bool:
    return stated + SLACK_MINUTES < needed


def timing_problems(module: Module) -> Found:
    """A warning for each activity (or group sharing a form) whose stated minutes, self-paced or
    in the workshop, fall short of the model."""
    forms = {f.id: f for f in module.forms}
    for group in _groups(module):
        activities = [module.activities[i] for i in group]
        path = f"$.activities[{group[0]}].minutes"
        if any(a.mode != "facilitated" for a in activities):
            stated = sum(a.minutes for a in activities if a.mode != "facilitated")
            needed = _self_paced(module, group)
            if _short(stated, needed):
                yield (
                    path,
                    f"Self-paced, {_named(module, group)} state {stated:g} minutes, but reading and "
                    f"writing them takes about {needed:.1f} (at {READING_WPM} words a minute read, "
                    f"{WRITING_WPM} written): raise the minutes, or lighten the load (shorter text, a "
                    "free-text box that a discussion already covers made `required: false`).",
                )
        form = forms.get(activities[0].form or "")
        if form is None or all(a.mode == "self_paced" for a in activities):
            continue
        ids = {a.id for a in activities}
        steps = [i for i, s in enumerate(module.facilitator_script) if s.activity in ids]
        stated = sum(module.facilitator_script[i].minutes for i in steps)
        needed = form_minutes(form, feedback=False)
        if _short(stated, needed):
            where = f"$.facilitator_script[{steps[0]}].minutes" if steps else path
            yield (
                where,
                f"In the workshop, the script gives form `{form.id}` ({_named(module, group)}) "
                f"{stated:g} minutes, but a room on phones needs about {needed:.1f} to fill it in: "
                "give its steps more time (take it from talk), or lighten the form.",
            )
