"""The feedback card as content: the shipped card decodes strictly in both languages, and a
broken card is refused by `frontoffice content check` with its file and place."""

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from api.cli import main
from api.feedback.instrument import CARD_FILE, InstrumentError, read_card
from tests.conftest import CONTENT_DIR


def test_the_shipped_card_has_every_text_in_english_and_spanish() -> None:
    card = read_card(CONTENT_DIR)
    assert card.id == "feedback-card" and card.version >= 1
    reasons = [option.id for option in card.reason.options]
    assert {"enrollment", "attendance", "transportation", "meals", "other"} <= set(reasons)
    for option in card.reason.options:
        assert option.label.en and option.label.es and option.label.en != option.label.es
    assert card.title.in_("es").startswith("¿") and card.comment.max_length <= 1000


def write_card(folder: Path, change: dict[str, object]) -> Path:
    data = yaml.safe_load((CONTENT_DIR / CARD_FILE).read_text())
    data.update(change)
    path = folder / CARD_FILE
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return folder


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "blue"}, "unknown field `colour`"),
        ({"title": {"en": "How did we do?"}}, "`$.title`"),
        ({"comment": {"prompt": {"en": "a", "es": "b"}, "max_length": 5000}}, "$.comment.max_length"),
    ],
)
def test_a_broken_card_is_refused_with_its_place(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    folder = write_card(tmp_path, change)
    with pytest.raises(InstrumentError, match=r"feedback-card\.yaml") as caught:
        read_card(folder)
    assert message in str(caught.value)


def test_content_check_reports_a_broken_card(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    (folder / CARD_FILE).write_text((folder / CARD_FILE).read_text().replace("id: enrollment", "id: other"))
    result = CliRunner().invoke(main, ["content", "check", "--dir", str(folder)])
    assert result.exit_code != 0 and "reasons listed twice: other" in result.output
