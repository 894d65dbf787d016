"""What the projected screen shows, with no I/O: codes read one way, positions as event ids, and
a form's list entries held back until its minimum group has submitted."""

import uuid

from api.content.loader import load_course
from api.workshops.room import ALPHABET, Screen, clean_code, event_id, new_code, parse_event_id
from tests.conftest import CONTENT_DIR
from tests.progress.test_progress_api import MODULE

COURSE = load_course(CONTENT_DIR)


def test_codes_avoid_look_alikes_and_are_typed_any_way() -> None:
    code = new_code()
    assert len(code) == 8 and set(code) <= set(ALPHABET) and not set("O0I1LSB5Z2") & set(ALPHABET)
    assert clean_code(f" {code[:4].lower()}-{code[4:]} ") == code
    assert parse_event_id(event_id((7, 42))) == (7, 42)
    assert parse_event_id("42") is None and parse_event_id("a.b") is None


def test_entries_wait_for_the_minimum_group_then_come_out_together() -> None:
    module = next(m for m in COURSE.modules if m.id == MODULE)
    form = next(f for f in module.forms if f.id == "customer-worksheet")
    minimum = form.policy.min_group_size
    screen = Screen([module])
    people = [uuid.uuid4() for _ in range(minimum + 1)]
    answers = {"external": ["Parents", "The news media"]}
    events = [screen.entry(p, MODULE, form.id, answers) for p in people]
    assert all(e is not None for e in events)
    held = [e for e in events[: minimum - 1] if e is not None]
    assert [e.respondents for e in held] == list(range(1, minimum)) and all(e.items is None for e in held)
    released, after = events[minimum - 1], events[minimum]
    assert released is not None and released.items is not None
    assert len(released.items["external"]) == 2 * minimum
    assert after is not None and after.items is not None
    assert [e.key for e in after.items["external"]] == ["parent", "new media"]
    # (Keys fold wording as the combined list does.) A resubmit adds a list, not a respondent.
    again = screen.entry(people[0], MODULE, form.id, answers)
    assert again is not None and again.respondents == minimum + 1
    assert screen.entry(people[0], "other-module", form.id, answers) is None
