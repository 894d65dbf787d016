"""The room, with no I/O: join codes, stream positions, and what each submitted entry shows on
the projected screen.

The presenter's screen is projected to the room, so it follows the rule a learner's view of a
group follows (`api/reports/group.py`): a form's list entries appear only once its minimum
group has submitted, all at once and shuffled (so their order names no one), then each as it
arrives. Ratings, comments and checks never appear one person at a time: only how many have
submitted (their results are the reports' routes, with their own minimum). Every event is
decided from the feed rows up to it, so a stream resumed from any position shows what an
unbroken one would have.
"""

import random
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from api.attempts.lists import normalize
from schemas.content import Form, ListItem, Module
from schemas.workshops import FeedEvent, RoomEntry

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a code read off a wall or typed on a phone is read one way.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 8
"""25^8 ≈ 1.5e11 codes; a caller gets a few dozen wrong guesses in a window, so a live code is
out of reach of guessing."""


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def clean_code(text: str) -> str:
    """A code as typed: case, spaces and dashes don't matter."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def format_code(code: str) -> str:
    """The code as projected: two groups of four."""
    return f"{code[:4]}-{code[4:]}"


Position = tuple[int, int]
"""(txid, feed row id): the order the feed is served in."""


def event_id(position: Position) -> str:
    return f"{position[0]}.{position[1]}"


def parse_event_id(text: str) -> Position | None:
    """A `Last-Event-ID` this service gave; None for anything else."""
    txid, dot, row = text.strip().partition(".")
    if not dot or not txid.isdigit() or not row.isdigit():
        return None
    return int(txid), int(row)


def _entries(form: Form, answers: dict[str, Any]) -> dict[str, list[RoomEntry]]:
    out: dict[str, list[RoomEntry]] = {}
    for item in form.items:
        if isinstance(item, ListItem):
            texts = [str(t).strip() for t in answers.get(item.id) or [] if str(t).strip()]
            if texts:
                out[item.id] = [RoomEntry(text=t, key=normalize(t)) for t in texts]
    return out


class Screen:
    """What the room has seen of each form so far; `entry` decides each submitted attempt's
    event in feed order."""

    def __init__(self, modules: Sequence[Module]) -> None:
        self.forms = {(m.id, f.id): f for m in modules for f in m.forms}
        self.respondents: dict[tuple[str, str], set[uuid.UUID]] = {}
        self.held: dict[tuple[str, str], list[dict[str, list[RoomEntry]]]] = {}

    def entry(
        self, learner_id: uuid.UUID, module_id: str, form_id: str, answers: dict[str, Any]
    ) -> FeedEvent | None:
        """The event of one attempt submitted in the room; None for a form not in the workshop."""
        key = (module_id, form_id)
        form = self.forms.get(key)
        if form is None:
            return None
        people = self.respondents.setdefault(key, set())
        reached_before = len(people) >= form.policy.min_group_size
        people.add(learner_id)
        entries = _entries(form, answers)
        items: dict[str, list[RoomEntry]] | None = None
        if reached_before:
            items = entries
        elif len(people) >= form.policy.min_group_size:
            # The minimum is reached: everything held comes out at once, in no telling order.
            everything = [*self.held.pop(key, []), entries]
            items = {}
            for found in everything:
                for item_id, listed in found.items():
                    items.setdefault(item_id, []).extend(listed)
            for listed in items.values():
                random.shuffle(listed)
        else:
            self.held.setdefault(key, []).append(entries)
        return FeedEvent(
            module_id=module_id,
            form_id=form_id,
            respondents=len(people),
            items=items if items else None,
        )
