"""The feedback card as content: `content/instruments/feedback-card.yaml`, decoded strictly
into `FeedbackCard` and checked (reasons unique) once per process."""

import functools
from pathlib import Path

import msgspec

from schemas.feedback import COMMENT_MAX, FeedbackCard

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


@functools.cache
def card_at(content_dir: Path) -> FeedbackCard:
    """The card under `content_dir`, read once per process (files change only with a release)."""
    return read_card(content_dir)
