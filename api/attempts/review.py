"""What a learner is shown of a marked attempt: each scored item's credit and, as the form's policy
allows, its feedback and right answer, in the learner's language. Every feedback text says which
option, entry or scenario choice it is about, so a client shows it beside that option.

The marks come from `api/attempts/scoring.py` (once, against the form as scored); the texts from
the form in the language asked for, matched by ids, which translations keep. Pure: no I/O.
"""

from api.attempts.scoring import Marking
from api.content.scenarios import walk
from schemas.content import ChoiceItem, ClassifyItem, Form, Item, OrderItem, ScenarioItem, TextEntryItem
from schemas.progress import FeedbackNote, ItemResult


def results(marking: Marking, texts: Form, *, show_feedback: bool, show_correct: bool) -> list[ItemResult]:
    """One result per scored item of `marking`, its feedback and right answer taken from `texts`
    (the form in the learner's language) when `show_feedback` and `show_correct` allow."""
    localized = {item.id: item for item in texts.items}
    out: list[ItemResult] = []
    for scored, answer, credit, full in marking.marks:
        item = localized.get(scored.id, scored)
        notes = notes_for(item, answer, full, show_correct) if show_feedback else []
        out.append(
            ItemResult(
                item=scored.id,
                score=credit,
                points=scored.points,
                correct=full,
                feedback=[note.text for note in notes],
                correct_answer=right_answer(item) if show_correct else None,
                notes=notes,
            )
        )
    return out


def notes_for(item: Item, answer: object | None, full: bool, show_correct: bool) -> list[FeedbackNote]:
    """The feedback on `answer` (checked) to `item`: the chosen options' (and, when the right
    answers are shown, the right ones'), the placed entries', the order's, the typed answer's,
    or the scenario path's own choices and ending."""
    if isinstance(item, ChoiceItem):
        chosen = answer if isinstance(answer, list) else []
        return [
            FeedbackNote(
                text=option.feedback,
                about="option",
                id=option.id,
                chosen=option.id in chosen,
                correct=option.correct,
            )
            for option in item.options
            if option.id in chosen or (show_correct and option.correct)
        ]
    if isinstance(item, ClassifyItem):
        placed = answer if isinstance(answer, dict) else {}
        # Right placements get their entry's feedback too: it teaches the reason, not the mark.
        # An unplaced entry's feedback is the answer itself: only shown with the right answers.
        return [
            FeedbackNote(
                text=entry.feedback,
                about="entry",
                id=entry.id,
                chosen=entry.id in placed,
                correct=placed.get(entry.id) == entry.category,
            )
            for entry in item.entries
            if entry.id in placed or show_correct
        ]
    if isinstance(item, OrderItem):
        return [FeedbackNote(text=item.feedback, about="item", correct=full)]
    if isinstance(item, TextEntryItem):
        text = item.feedback_correct if full else item.feedback_incorrect
        return [FeedbackNote(text=text, about="item", correct=full)]
    if isinstance(item, ScenarioItem) and isinstance(answer, list):
        # The learner's own path only: the other branches stay unseen, so it can be practised again.
        arrival = walk(item, answer, complete=True)
        notes = [FeedbackNote(text=choice.feedback, about="choice", id=choice.id) for choice in arrival.taken]
        if arrival.ending is not None:
            ending = arrival.ending
            text = f"**{ending.title}**\n\n{ending.text}"
            notes.append(FeedbackNote(text=text, about="ending", id=ending.id, correct=full))
        return notes
    return []


def right_answer(item: Item) -> object:
    """The right answer as the learner's answer is shaped (a text entry's in the item's
    language); None for a scenario, whose best path would give away every branch."""
    if isinstance(item, ChoiceItem):
        return [option.id for option in item.options if option.correct]
    if isinstance(item, ClassifyItem):
        return {entry.id: entry.category for entry in item.entries}
    if isinstance(item, OrderItem):
        return [entry.id for entry in item.entries]
    if isinstance(item, TextEntryItem):
        return item.accepted[0]
    return None
