"""Matching the entries of list items: a learner's list against the reference, and a group's lists.

A list item ("name your external customers") has no right answer, only a reference list of
answers with the other ways people say them. `normalize` folds the wording people vary without
meaning to (case, accents, punctuation, a leading article, plurals); `compare_list` tells a
learner which reference entries they named, missed, and added; `combine_lists` builds a group's
combined list, the flipchart of module 2. Everything here is pure.
"""

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from schemas.content import ListItem
from schemas.progress import CombinedEntry, ListComparison

# English and Spanish, the languages the course is written in; dropped only in front.
_ARTICLES = frozenset({"the", "a", "an", "los", "las", "el", "la"})
# Apostrophes join a word ("driver's" is one word); other punctuation separates words.
_APOSTROPHES = frozenset("'’ʼ`")
# Endings where a final "s" is not a plural: "business", "bus", "campus", "analysis".
_NOT_PLURAL = ("ss", "us", "is")
# After these, the plural adds "es" ("churches", "boxes", "classes"); elsewhere only "s".
_SIBILANTS = ("ch", "sh", "ss", "x", "z")


def normalize(text: str) -> str:
    """`text` as entries are matched: the wording people vary without meaning to, folded.

    NFKC, casefolded, accents dropped; `&` read as "and", apostrophes dropped and other
    punctuation read as a space; whitespace collapsed; one leading article ("the", "a", "an",
    "los", "las", "el", "la") dropped when more follows; and plurals of words of 4 letters or
    more folded to the singular: "-ies" to "-y", "-es" after ch, sh, ss, x, z dropped, a final
    "s" dropped except after s, u or i ("business", "campus", "analysis" stay).
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char))
    text = text.replace("&", " and ")
    text = "".join(
        "" if char in _APOSTROPHES else " " if _separates(char) else char
        for char in unicodedata.normalize("NFC", text)
    )
    words = text.split()
    # Only when more follows, so that an entry that is just "A" (a grade) keeps its word.
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(_singular(word) for word in words)


def _separates(char: str) -> bool:
    return unicodedata.category(char)[0] in "PSZ"


def _singular(word: str) -> str:
    if len(word) < 4 or not word.endswith("s") or word.endswith(_NOT_PLURAL):
        return word
    if len(word) >= 5 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("es") and word[:-2].endswith(_SIBILANTS):
        return word[:-2]
    return word[:-1]


@dataclass(frozen=True)
class _Phrase:
    """One wording of a reference entry, normalized and split into words."""

    reference: int
    words: tuple[str, ...]


class _Matcher:
    """Finds the reference entries a learner's entry names."""

    def __init__(self, item: ListItem) -> None:
        phrases: list[_Phrase] = []
        for index, entry in enumerate(item.reference):
            for wording in [entry.text, *entry.synonyms]:
                words = tuple(normalize(wording).split())
                if words:
                    phrases.append(_Phrase(index, words))
        # Longest first, so that "community college" claims its words before "community" can.
        self._phrases = sorted(phrases, key=lambda phrase: -len(phrase.words))
        self._exact: dict[str, int] = {}
        for phrase in phrases:
            self._exact.setdefault(" ".join(phrase.words), phrase.reference)

    def references(self, normalized: str) -> list[int]:
        """The reference entries `normalized` names, in reference order; empty when none.

        An entry that is a wording of a reference names that one. Otherwise it names each
        reference one of whose wordings it contains as whole words ("local business owners"
        names "Business owners"; "parents and grandparents" names two), a longer wording
        claiming its words before a shorter one can.
        """
        exact = self._exact.get(normalized)
        if exact is not None:
            return [exact]
        words = normalized.split()
        claimed = [False] * len(words)
        found: set[int] = set()
        for phrase in self._phrases:
            size = len(phrase.words)
            for start in range(len(words) - size + 1):
                span = range(start, start + size)
                if tuple(words[start : start + size]) == phrase.words and not any(claimed[i] for i in span):
                    for i in span:
                        claimed[i] = True
                    found.add(phrase.reference)
        return sorted(found)


def _entries(answers: Iterable[str]) -> Iterable[tuple[str, str]]:
    """(wording, normalized) of each entry that says anything, the wording tidied of spacing."""
    for answer in answers:
        normalized = normalize(answer)
        if normalized:
            yield " ".join(answer.split()), normalized


def compare_list(item: ListItem, answers: list[str]) -> ListComparison:
    """A learner's list against the item's reference list.

    `matched` holds the reference texts the learner named, `missed` the others (both in
    reference order), `extra` the learner's entries that name no reference entry, in their
    own wording and order, once per normalized form.
    """
    matcher = _Matcher(item)
    named: set[int] = set()
    extra: dict[str, str] = {}
    for wording, normalized in _entries(answers):
        references = matcher.references(normalized)
        named.update(references)
        if not references:
            extra.setdefault(normalized, wording)
    texts = [entry.text for entry in item.reference]
    return ListComparison(
        item=item.id,
        matched=[text for index, text in enumerate(texts) if index in named],
        missed=[text for index, text in enumerate(texts) if index not in named],
        extra=list(extra.values()),
    )


def combine_lists(item: ListItem, lists: list[list[str]]) -> list[CombinedEntry]:
    """A group's lists as one: every distinct answer, with how many learners named it.

    An entry that names a reference entry counts for it, under the reference text; any other
    is grouped with the entries that normalize the same, under the wording most learners used
    (the first seen on a tie). A learner counts once per answer however often they name it.
    Sorted by count, most first, then by label.
    """
    matcher = _Matcher(item)
    learners: Counter[int | str] = Counter()
    wordings: dict[str, Counter[str]] = {}
    for answers in lists:
        keys: set[int | str] = set()
        # A dict, not a set: its order is the list's, which decides ties of wording.
        said: dict[tuple[str, str], None] = {}
        for wording, normalized in _entries(answers):
            references = matcher.references(normalized)
            keys.update(references)
            if not references:
                keys.add(normalized)
                said[normalized, wording] = None
        learners.update(keys)
        for normalized, wording in said:
            wordings.setdefault(normalized, Counter())[wording] += 1
    combined = [
        CombinedEntry(
            label=item.reference[key].text if isinstance(key, int) else wordings[key].most_common(1)[0][0],
            count=count,
            in_reference=isinstance(key, int),
        )
        for key, count in learners.items()
    ]
    return sorted(combined, key=lambda entry: (-entry.count, entry.label.casefold(), entry.label))
