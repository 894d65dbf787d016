"""The cmi5 course package: `cmi5.xml` (one course, one AU per module) zipped. No I/O.

An AU's `moveOn` follows the module's completion rule: forms to submit only is `Completed`,
a pass mark only is `Passed`, both is `CompletedAndPassed` (`CompletedOrPassed` when either
branch of an any-of rule will do), and the pass mark is the AU's `masteryScore`.
"""

import io
import zipfile
from collections.abc import Iterable, Mapping
from typing import Literal
from xml.etree import ElementTree as ET

import msgspec

from schemas.content import AllOf, AnyOf, Attended, Condition, FormSubmitted, QuizPassed

NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
MoveOn = Literal["Completed", "Passed", "CompletedAndPassed", "CompletedOrPassed"]


class Rule(msgspec.Struct, frozen=True):
    """What an LMS needs of a module's completion rule."""

    move_on: MoveOn
    mastery_score: float | None


class Au(msgspec.Struct, frozen=True, kw_only=True):
    """One module as an assignable unit: its texts by language, where it launches, its rule."""

    id: str
    titles: Mapping[str, str]
    descriptions: Mapping[str, str]
    url: str
    rule: Rule


def _leaves(condition: Condition) -> Iterable[FormSubmitted | QuizPassed]:
    """The forms the rule names; attending a live workshop is no part of a launch from an LMS."""
    if isinstance(condition, (FormSubmitted, QuizPassed)):
        yield condition
        return
    if isinstance(condition, Attended):
        return
    for inner in condition.conditions:
        yield from _leaves(inner)


def rule_of(condition: Condition) -> Rule:
    """The module's completion rule in cmi5's terms."""
    leaves = list(_leaves(condition))
    marks = [leaf.min_score for leaf in leaves if isinstance(leaf, QuizPassed)]
    # One masteryScore per AU: with several pass marks, the highest is the one that holds.
    mastery = round(max(marks), 4) if marks else None
    if not marks:
        return Rule("Completed", None)
    if all(isinstance(leaf, QuizPassed) for leaf in leaves):
        return Rule("Passed", mastery)
    if isinstance(condition, AnyOf):
        return Rule("CompletedOrPassed", mastery)
    assert isinstance(condition, AllOf)
    return Rule("CompletedAndPassed", mastery)


def _text(parent: ET.Element, tag: str, by_language: Mapping[str, str]) -> None:
    element = ET.SubElement(parent, tag)
    for language, text in by_language.items():
        ET.SubElement(element, "langstring", lang=language).text = text


def course_structure(
    course_id: str, titles: Mapping[str, str], descriptions: Mapping[str, str], aus: Iterable[Au]
) -> bytes:
    """`cmi5.xml`, valid against cmi5's CourseStructure.xsd."""
    # The document's elements are unqualified under the root's `xmlns`: ElementTree can't write a
    # default namespace for a tree with unqualified attributes.
    root = ET.Element("courseStructure", xmlns=NS)
    course = ET.SubElement(root, "course", id=course_id)
    _text(course, "title", titles)
    _text(course, "description", descriptions)
    for au in aus:
        attributes = {"id": au.id, "moveOn": au.rule.move_on, "launchMethod": "AnyWindow"}
        if au.rule.mastery_score is not None:
            attributes["masteryScore"] = f"{au.rule.mastery_score:g}"
        element = ET.SubElement(root, "au", attributes)
        _text(element, "title", au.titles)
        _text(element, "description", au.descriptions)
        ET.SubElement(element, "url").text = au.url
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def zipped(files: Mapping[str, bytes]) -> bytes:
    """A zip of `files` (name to bytes), deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()
