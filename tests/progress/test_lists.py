"""Matching list answers: normalizing entries, one learner against the reference, a group combined."""

from pathlib import Path

import pytest

from api.attempts.lists import combine_lists, compare_list, normalize
from api.content.loader import CourseBundle, load_course
from schemas.content import ListItem, ReferenceEntry
from schemas.progress import CombinedEntry

CONTENT = Path(__file__).resolve().parents[2] / "content"


def customers() -> ListItem:
    return ListItem(
        id="external",
        prompt="Who are our external customers?",
        reference=[
            ReferenceEntry(text="Parents", synonyms=["families", "guardians"]),
            ReferenceEntry(text="Grandparents", synonyms=["grandmothers"]),
            ReferenceEntry(text="Community members", synonyms=["community", "neighbors"]),
            ReferenceEntry(text="Business owners", synonyms=["businesses", "store owners"]),
            ReferenceEntry(text="Other educational organizations", synonyms=["community college"]),
        ],
    )


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("  The   PARENTS! ", "parent"),
        ("Información", "informacion"),
        ("las familias", "familia"),
        ("an aide", "aide"),
        ("A", "a"),
        ("Businesses", "business"),
        ("business", "business"),
        ("churches", "church"),
        ("nurses", "nurse"),
        ("families", "family"),
        ("bus drivers", "bus driver"),
        ("the bus", "bus"),
        ("kids", "kid"),
        ("campus", "campus"),
        ("driver's", "driver"),
        ("parent-teacher association", "parent teacher association"),
        ("Moms & dads", "mom and dad"),
        ("ﬁre department", "fire department"),
        ("the a team", "a team"),
    ],
)
def test_normalize(text: str, normalized: str) -> None:
    assert normalize(text) == normalized


def test_compare_list_matches_texts_and_synonyms_in_reference_order() -> None:
    result = compare_list(customers(), ["Neighbors", "the parents", "Families", "grandmother"])
    assert result.item == "external"
    assert result.matched == ["Parents", "Grandparents", "Community members"]
    assert result.missed == ["Business owners", "Other educational organizations"]
    assert result.extra == []


def test_compare_list_matches_a_reference_named_inside_a_longer_entry() -> None:
    result = compare_list(customers(), ["local business owners", "parents and grandparents"])
    assert result.matched == ["Parents", "Grandparents", "Business owners"]
    assert result.extra == []


def test_compare_list_matches_whole_words_only_and_the_longest_wording_first() -> None:
    result = compare_list(customers(), ["the community college", "parenting classes"])
    assert result.matched == ["Other educational organizations"]
    assert result.extra == ["parenting classes"]


def test_compare_list_keeps_extras_once_in_their_first_wording() -> None:
    result = compare_list(
        customers(), ["Bus  drivers", "", "  ", "bus driver", "The mail carrier", "Vendors"]
    )
    assert result.matched == []
    assert result.extra == ["Bus drivers", "The mail carrier", "Vendors"]
    assert len(result.missed) == 5


def test_compare_list_without_a_reference() -> None:
    result = compare_list(ListItem(id="tips", prompt="Tips?"), ["Smile", "smile!"])
    assert (result.matched, result.missed, result.extra) == ([], [], ["Smile"])


def test_combine_lists_counts_learners_not_mentions() -> None:
    combined = combine_lists(
        customers(),
        [
            ["Parents", "families", "Bus drivers"],
            ["the parents", "neighbors", "bus drivers"],
            ["Bus drivers", "local businesses", "Mail carrier"],
            ["mail carriers", "Bus driver"],
        ],
    )
    assert combined == [
        CombinedEntry(label="Bus drivers", count=4, in_reference=False),
        CombinedEntry(label="Mail carrier", count=2, in_reference=False),
        CombinedEntry(label="Parents", count=2, in_reference=True),
        CombinedEntry(label="Business owners", count=1, in_reference=True),
        CombinedEntry(label="Community members", count=1, in_reference=True),
    ]


def test_combine_lists_labels_by_the_most_common_wording_then_the_first_seen() -> None:
    tie = combine_lists(customers(), [["Office staff"], ["office staff"]])
    assert tie == [CombinedEntry(label="Office staff", count=2, in_reference=False)]
    most = combine_lists(customers(), [["Office staff"], ["office staff"], ["office  staff "]])
    assert most == [CombinedEntry(label="office staff", count=3, in_reference=False)]
    # One learner saying it twice in two wordings is one vote for each wording.
    same = combine_lists(customers(), [["Office staff", "OFFICE STAFF"], ["OFFICE STAFF"]])
    assert same == [CombinedEntry(label="OFFICE STAFF", count=2, in_reference=False)]


def test_combine_lists_of_nobody() -> None:
    assert combine_lists(customers(), []) == []
    assert combine_lists(customers(), [[], ["", " "]]) == []


# --- The real course ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def course() -> CourseBundle:
    return load_course(CONTENT)


def real_list_items(course: CourseBundle) -> list[ListItem]:
    return [
        item
        for module in course.modules
        for form in module.forms
        for item in form.items
        if isinstance(item, ListItem)
    ]


def test_real_list_items_match_every_wording_to_its_own_reference(course: CourseBundle) -> None:
    items = [item for item in real_list_items(course) if item.reference]
    assert items
    for item in items:
        for entry in item.reference:
            for wording in [entry.text, *entry.synonyms]:
                result = compare_list(item, [wording])
                assert result.matched == [entry.text], (item.id, wording)
                assert result.extra == []


def test_real_list_items_combine(course: CourseBundle) -> None:
    item = next(item for item in real_list_items(course) if item.id == "external")
    combined = combine_lists(
        item,
        [
            ["parents", "grandmothers", "the mail carrier"],
            ["Moms and dads", "community college", "mail carrier"],
            ["local residents"],
        ],
    )
    assert combined == [
        CombinedEntry(label="Parents", count=2, in_reference=True),
        CombinedEntry(label="the mail carrier", count=2, in_reference=False),
        CombinedEntry(label="Community members with no children in school", count=1, in_reference=True),
        CombinedEntry(label="Grandparents and extended family", count=1, in_reference=True),
        CombinedEntry(label="Other educational organizations", count=1, in_reference=True),
    ]
