"""The feedback card as content: `instruments/feedback-card.yaml` in the content folder (the
shipped one when a folder has none), decoded strictly into `FeedbackCard`, checked (reasons
unique, comment limit) by `frontoffice content check` and `serve`, and read once per process."""

import functools
from pathlib import Path

import msgspec

from api.settings import SHIPPED_CONTENT
from schemas.feedback import COMMENT_MAX, FeedbackCard, FeedbackCardLabels, Language, ReasonLabel

CARD_FILE = Path("instruments") / "feedback-card.yaml"


class InstrumentError(Exception):
    """The card's file is missing or breaks a rule; the message names the file and the place."""


def read_card(content_dir: Path) -> FeedbackCard:
    """The card under `content_dir`, or InstrumentError saying what is wrong with it."""
    path = content_dir / CARD_FILE
    try:
        card = msgspec.yaml.decode(path.read_bytes(), type=FeedbackCard)
    except FileNotFoundError:
        raise InstrumentError(f"{path}: the feedback card is missing") from None
    except msgspec.DecodeError as exc:  # ValidationError too, with its `$.path`
        raise InstrumentError(f"{path}: {exc}") from None
    ids = [option.id for option in card.reason.options]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise InstrumentError(f"{path}: reasons listed twice: {', '.join(twice)}")
    if card.comment.max_length > COMMENT_MAX:
        raise InstrumentError(f"{path}: $.comment.max_length is above the most stored ({COMMENT_MAX})")
    return card


def check_card(content_dir: Path) -> list[str]:
    """The card's problems, if `content_dir` has a card (a folder without one uses the shipped card)."""
    if not (content_dir / CARD_FILE).exists():
        return []
    try:
        read_card(content_dir)
    except InstrumentError as exc:
        return [str(exc)]
    return []


@functools.cache
def card_at(content_dir: Path) -> FeedbackCard:
    """The card under `content_dir` (or the shipped one), read once per process: files change
    only with a release."""
    return read_card(content_dir if (content_dir / CARD_FILE).exists() else SHIPPED_CONTENT)


def card_labels(card: FeedbackCard, language: Language) -> FeedbackCardLabels:
    """The card's title and reasons in `language`, as the console names what families answered."""
    return FeedbackCardLabels(
        language=language,
        version=card.version,
        title=card.title.in_(language),
        reasons=[ReasonLabel(id=o.id, label=o.label.in_(language)) for o in card.reason.options],
    )
