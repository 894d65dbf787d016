"""Reading the course files under `content/`, and checking them the way an author needs.

`check_content` lists every problem it finds, each with the file, where in it, and what to do;
`load_course` reads the course and refuses content with any error (a warning, such as a stated
time the reading and writing do not fit in, does not stop it). A file is decoded strictly
(unknown fields are errors) by one decoder per type; the checks that msgspec cannot express
(answer keys, references between ids, translations and their glossary, times) run on the decoded
Structs.
"""

import datetime
import difflib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

import msgspec
import yaml
from msgspec import inspect

from api.content.agendas import block_minutes
from api.content.scenarios import graph_problems
from api.content.timing import timing_problems
from api.content.translation import text_paths
from schemas.base import Wire
from schemas.content import (
    Agenda,
    AllOf,
    AnyOf,
    Attended,
    ChoiceItem,
    ClassifyItem,
    Condition,
    Course,
    CourseTranslation,
    Form,
    Item,
    JobAid,
    MatrixItem,
    Module,
    OrderItem,
    QuizPassed,
    RatingItem,
    ScenarioItem,
    TableItem,
    TextEntryItem,
    Translation,
)

T = TypeVar("T", bound=msgspec.Struct)

# Only these item types have an answer key, so only they can be marked automatically.
SCORABLE_ITEMS: tuple[type[Item], ...] = (ChoiceItem, ClassifyItem, OrderItem, TextEntryItem, ScenarioItem)


class ContentProblem(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One thing wrong in the content, said so that its author can fix it.

    Frozen so that problems can be compared and collected in sets; not derived from `Wire`
    because a frozen Struct cannot derive from a mutable one.
    """

    file: str
    """The file, relative to the content folder (`modules/intro.yaml`)."""
    path: str
    """Where in the file: a `$.`-path into the document, a translation key, or
    `line L, column C` when the file is not valid YAML."""
    message: str
    """What is wrong and what to do about it."""
    severity: Literal["error", "warning"] = "error"
    """An error stops the course from loading; a warning (a stated time shorter than the
    reading and writing it asks for) is content that works but should be fixed."""

    def __str__(self) -> str:
        label = "warning: " if self.severity == "warning" else ""
        return f"{self.file}: {self.path}: {label}{self.message}"


class ContentError(Exception):
    """Raised by `load_course` when the content has problems; `problems` lists them all."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"The content has {len(problems)} problem(s):\n{lines}")
        self.problems = problems


class CourseBundle(msgspec.Struct, frozen=True, kw_only=True):
    """A checked course: the course, its modules in course order, their translations."""

    course: Course
    modules: list[Module]
    translations: dict[tuple[str, str], Translation]
    """Keyed by (module id, locale)."""
    course_translations: dict[str, dict[str, str]] = {}
    """The course's own strings (title, description, audience) by locale."""
    agendas: list[Agenda] = []
    """The workshop agendas (`agendas/*.yaml`), by file name."""
    job_aid: JobAid | None = None
    """The one-page job aid (`job-aid.yaml`), when the folder has one."""

    def agenda(self, agenda_id: str) -> Agenda:
        """The agenda with this id; KeyError when there is none."""
        for agenda in self.agendas:
            if agenda.id == agenda_id:
                return agenda
        raise KeyError(agenda_id)

    def module(self, module_id: str) -> Module:
        """The module with this id; KeyError when the course has none."""
        for module in self.modules:
            if module.id == module_id:
                return module
        raise KeyError(module_id)


# --- Decoding ----------------------------------------------------------------------------------


class _Loader(yaml.CSafeLoader):
    """The safe YAML loader, except that a key repeated in one mapping is an error.

    PyYAML keeps the last of two equal keys without a word, so a second `feedback:` pasted
    under an option would silently replace the first.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key; the base class reports it
                continue
            if repeated:
                raise yaml.constructor.ConstructorError(
                    None, None, f"found duplicate key `{key}`", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


class _YamlDecoder(Generic[T]):
    """Decodes a YAML document strictly into one Struct type.

    It does what `msgspec.yaml.decode` does (safe-load, then convert strictly) with its own
    loader, because msgspec's drops the line of a YAML error and allows repeated keys.
    """

    def __init__(self, type_: type[T]) -> None:
        self.type = type_
        self.type_info = inspect.type_info(type_)

    def decode_builtins(self, text: bytes) -> Any:
        """The YAML document as builtins; raises yaml.YAMLError."""
        return yaml.load(text, Loader=_Loader)  # _Loader is a safe loader

    def convert(self, data: Any) -> T:
        """`data` as the Struct; raises msgspec.ValidationError."""
        return msgspec.convert(
            data,
            self.type,
            strict=True,
            builtin_types=(datetime.datetime, datetime.date),
        )


class GlossaryTerm(Wire, kw_only=True):
    """An English term and the one rendering every translation into the glossary's language uses."""

    term: str
    """The English term as it is written in the modules (`front office`); a plural `s` or `es`
    and hyphens (`front-office`) count as the term."""
    translation: str
    """The one rendering (`oficina principal`)."""
    inflections: list[str] = []
    """Other forms of the same rendering that count as it: plural, feminine (`oficinas principales`)."""
    note: str
    """Why this rendering, and what not to write instead."""


class Glossary(Wire, kw_only=True):
    """`translations/glossary-<locale>.yaml`: the terms every translation into `<locale>` renders
    one way, so that the modules read as one course."""

    terms: list[GlossaryTerm]


_COURSE = _YamlDecoder(Course)
_MODULE = _YamlDecoder(Module)
_TRANSLATION = _YamlDecoder(Translation)
_COURSE_TRANSLATION = _YamlDecoder(CourseTranslation)
_COURSE_TRANSLATION_FILE = "course.yaml"
_GLOSSARY = _YamlDecoder(Glossary)
_GLOSSARY_FILE = re.compile(r"^glossary-(?P<locale>[a-z]{2})\.yaml$")
_AGENDA = _YamlDecoder(Agenda)
_JOB_AID = _YamlDecoder(JobAid)
_JOB_AID_FILE = "job-aid.yaml"


def _line(mark: object) -> str:
    line, column = getattr(mark, "line", None), getattr(mark, "column", None)
    if isinstance(line, int) and isinstance(column, int):
        return f"line {line + 1}, column {column + 1}"
    return "$"


def _yaml_problem(exc: yaml.YAMLError) -> tuple[str, str]:
    """(where, message) for a file that is not valid YAML."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return "$", f"This file cannot be read as YAML ({exc}). Save it as UTF-8 text."
    problem = exc.problem or "it is not valid YAML"
    where = _line(exc.problem_mark or exc.context_mark)
    if problem.startswith("found duplicate key"):
        advice = (
            "YAML would keep only the last of the two and silently drop the first: "
            "remove one of them or merge them."
        )
    elif "mapping values are not allowed" in problem:
        advice = (
            "A colon followed by a space starts a new field in YAML: if this is text, put it "
            "in quotes or write it as a block after `|`."
        )
    elif "\\t" in problem or "tab" in problem:
        advice = "YAML does not allow tabs for indentation: indent with spaces."
    else:
        advice = "Check the indentation and the quoting on that line and the line before it."
    return where, f"This is not valid YAML: {problem} ({where}). {advice}"


# --- Making msgspec's validation errors plain -----------------------------------------------

_AT = re.compile(r"^(?P<what>.*?)(?: - at `(?P<key>key` in `)?(?P<path>\$[^`]*)`)?$", re.S)
_SEGMENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
_BOUND_WORDS = {"<=": "at most", ">=": "at least", "<": "less than", ">": "more than"}
_TYPE_WORDS = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "array": "a list (lines starting with `- `)",
    "object": "a block of `field: value` lines",
    "null": "empty",
    "date": "a date",
    "datetime": "a date and time",
}


def _segments(path: str) -> list[str | int] | None:
    """`$.forms[0].title` as ['forms', 0, 'title']; None when it names no plain field."""
    out: list[str | int] = []
    rest = path.removeprefix("$")
    position = 0
    for match in _SEGMENT.finditer(rest):
        if match.start() != position:
            return None
        name, index = match.groups()
        out.append(name if name is not None else int(index))
        position = match.end()
    return out if position == len(rest) else None


def _unwrap(t: inspect.Type) -> inspect.Type:
    return _unwrap(t.type) if isinstance(t, inspect.Metadata) else t


def _pick_member(t: inspect.Type, data: object) -> inspect.Type:
    """The Struct of a tagged union that `data` names, else `t` itself."""
    t = _unwrap(t)
    if isinstance(t, inspect.UnionType) and isinstance(data, dict):
        for member in t.types:
            if (
                isinstance(member, inspect.StructType)
                and member.tag_field is not None
                and data.get(member.tag_field) == member.tag
            ):
                return member
    return t


def _resolve(
    root: inspect.Type, data: object, segments: list[str | int]
) -> tuple[inspect.Type, object] | None:
    """The type and the raw value at `segments`, following `type` tags through unions."""
    t: inspect.Type = root
    for segment in segments:
        t = _pick_member(t, data)
        if isinstance(segment, str) and isinstance(t, inspect.StructType):
            field = next((f for f in t.fields if f.encode_name == segment), None)
            if field is None:
                return None
            t = field.type
            data = data.get(segment) if isinstance(data, dict) else None
        elif isinstance(segment, int) and isinstance(t, inspect.ListType):
            t = t.item_type
            data = data[segment] if isinstance(data, list) and segment < len(data) else None
        else:
            return None
    return _unwrap(t), data


def _members(t: inspect.Type | None) -> list[inspect.Type]:
    """The types `t` allows: the members of a union (`float | None`), else `t` itself."""
    if t is None:
        return []
    t = _unwrap(t)
    return [_unwrap(m) for m in t.types] if isinstance(t, inspect.UnionType) else [t]


def _tags(t: inspect.Type) -> list[str]:
    t = _unwrap(t)
    if not isinstance(t, inspect.UnionType):
        return []
    return [str(m.tag) for m in t.types if isinstance(m, inspect.StructType) and m.tag]


def _literals(t: inspect.Type) -> list[str]:
    t = _unwrap(t)
    if isinstance(t, inspect.LiteralType):
        return [str(value) for value in t.values]
    if isinstance(t, inspect.ListType):
        return _literals(t.item_type)
    return []


def _names(values: Sequence[str]) -> str:
    return ", ".join(f"`{value}`" for value in values)


def _plain(what: str, root: inspect.Type, data: object, path: str) -> str:
    """msgspec's terse `what` (for the value at `path`) as advice an author can act on."""
    segments = _segments(path) or []
    found = _resolve(root, data, segments)
    here, value = found if found else (None, None)
    parent = _resolve(root, data, segments[:-1]) if segments else None

    if m := re.fullmatch(r"Object contains unknown field `(.+)`", what):
        member = _pick_member(here, value) if here is not None else None
        fields = [f.encode_name for f in member.fields] if isinstance(member, inspect.StructType) else []
        close = difflib.get_close_matches(m[1], fields, n=1, cutoff=0.75)
        if close:
            return f"`{m[1]}` is not a field here: did you mean `{close[0]}`?"
        message = f"`{m[1]}` is not a field here: check its spelling, or remove it."
        return message + (f" The fields allowed here are {_names(fields)}." if fields else "")
    if m := re.fullmatch(r"Object missing required field `(.+)`", what):
        if m[1] == "type" and here is not None and _tags(here):
            return f"Say which `type` this is: one of {_names(_tags(here))}."
        return f"`{m[1]}` is missing here: add it, it is required."
    if m := re.fullmatch(r"Invalid value '(.*)'", what):
        tags = _tags(parent[0]) if parent and segments[-1] == "type" else []
        if tags:
            return f"`{m[1]}` is not a known type here: use one of {_names(tags)}."
        return f"`{m[1]}` is not allowed here."
    if m := re.fullmatch(r"Invalid enum value '(.*)'", what):
        allowed = _literals(here) if here is not None else []
        listed = f": use one of {_names(allowed)}" if allowed else ""
        return f"`{m[1]}` is not one of the values allowed here{listed}."
    if m := re.fullmatch(r"Expected `str` matching regex '(.*)'", what):
        if m[1] == _ID_PATTERN:
            return (
                f"`{value}` is not a valid id: an id is lowercase letters, digits and hyphens, "
                "starts with a letter or digit and is at most 64 characters (e.g. `front-desk`)."
            )
        if segments[-1:] == ["locale"]:
            return f"`{value}` is not a language code: write two lowercase letters, e.g. `es`."
        return f"`{value}` does not have the form this field needs (pattern `{m[1]}`)."
    if m := re.fullmatch(r"Expected `(\w+)` of length (<=|>=) (\d+)", what):
        noun = "entries" if m[1] == "array" else "characters"
        return f"This needs {_BOUND_WORDS[m[2]]} {m[3]} {noun}."
    if m := re.fullmatch(r"Expected `(int|float)` (<=|>=|<|>) (\S+)", what):
        number = next((t for t in _members(here) if isinstance(t, inspect.FloatType)), None)
        if number is not None and number.ge == 0 and number.le == 1:
            fraction = "a score here is a fraction from 0 to 1 (write 0.8 for 80%)"
            return f"`{value}` is out of range: {fraction}."
        bound = m[3].removesuffix(".0")
        return f"`{value}` is out of range: it must be {_BOUND_WORDS[m[2]]} {bound}."
    if m := re.fullmatch(r"Expected `(\w+)`, got `(\w+)`", what):
        expected, got = m.groups()
        if got == "null":
            return f"This is empty: write {_TYPE_WORDS.get(expected, expected)} here."
        message = (
            f"This should be {_TYPE_WORDS.get(expected, expected)} but YAML reads it as "
            f"{_TYPE_WORDS.get(got, got)}."
        )
        if expected == "str":
            # YAML 1.1 turns yes/no/on/off into booleans and 1.5 or 2024-01-01 into numbers and
            # dates: a Spanish "No" as a scale label is the classic case.
            message += " Put the text in quotes."
        return message
    return f"{what}. See schemas/content.py for what this field takes."


def _validation_problems(
    exc: msgspec.ValidationError, decoder: _YamlDecoder[T], data: object
) -> list[tuple[str, str]]:
    """(path, message) pairs for a validation error (msgspec stops at the first one)."""
    match = _AT.match(str(exc))
    assert match is not None  # the pattern matches any text
    what, path = match["what"], match["path"] or "$"
    if data is None:
        return [("$", "This file is empty: write its content, or delete the file.")]
    if match["key"]:
        return [(path, f"A key here is not text: put it in quotes. ({what})")]
    if "[...]" in path and isinstance(data, dict) and isinstance(data.get("strings"), dict):
        # msgspec does not name the key of a bad dict value; find the values that are not text.
        bad = [(str(k), v) for k, v in data["strings"].items() if not isinstance(v, str)]
        if bad:
            return [
                (key, f"YAML reads this translation as `{value}`, not as text: put it in quotes.")
                for key, value in bad
            ]
    return [(path, _plain(what, decoder.type_info, data, path))]


_MAX_ERRORS_PER_FILE = 50


def _step_past(error: str, root: inspect.Type, data: Any) -> bool:
    """Change `data` so that decoding it again gets past `error`; False when it cannot.

    An unknown field is deleted, a bad optional field is deleted (its default applies) and a bad
    free-text value is blanked. Anything else (a missing field, a bad id) would only cause
    errors that are not the author's, so decoding stops there.
    """
    match = _AT.match(error)
    segments = _segments(match["path"] or "$") if match and not match["key"] else None
    if match is None or segments is None:
        if isinstance(data, dict) and isinstance(data.get("strings"), dict) and "[...]" in error:
            strings = data["strings"]
            for key, value in strings.items():
                if not isinstance(value, str):
                    strings[key] = ""
            return True
        return False
    if unknown := re.fullmatch(r"Object contains unknown field `(.+)`", match["what"]):
        found = _resolve(root, data, segments)
        if found and isinstance(found[1], dict) and unknown[1] in found[1]:
            del found[1][unknown[1]]
            return True
        return False
    if not segments:
        return False
    parent = _resolve(root, data, segments[:-1])
    if parent is None:
        return False
    parent_type, container = parent
    last = segments[-1]
    member = _pick_member(parent_type, container)
    if isinstance(last, str) and isinstance(member, inspect.StructType):
        field = next((f for f in member.fields if f.encode_name == last), None)
        if field is not None and not field.required and isinstance(container, dict):
            del container[last]
            return True
    here = _resolve(root, data, segments)
    text = here[0] if here else None
    if isinstance(text, inspect.StrType) and text.pattern is None and not text.min_length:
        if isinstance(container, dict) and isinstance(last, str):
            container[last] = ""
            return True
        if isinstance(container, list) and isinstance(last, int) and last < len(container):
            container[last] = ""
            return True
    return False


# --- Checks on decoded content ------------------------------------------------------------------

Found = Iterator[tuple[str, str]]
"""(path, message) pairs; the caller adds the file."""


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


def _duplicate_ids(path: str, elements: Sequence[_HasId], what: str) -> Found:
    first: dict[str, int] = {}
    for index, element in enumerate(elements):
        if element.id in first:
            yield (
                f"{path}[{index}].id",
                f"The {what} id `{element.id}` is already used at {path}[{first[element.id]}]: "
                f"give each {what} its own id. Recorded answers refer to ids, so never reuse one.",
            )
        else:
            first[element.id] = index


def _blank_strings(value: object, path: str) -> Found:
    # Every `str` without a pattern is free text (ids and enumerations cannot be blank), so any
    # blank string found here is a missing text.
    if isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            yield from _blank_strings(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list):
        for index, element in enumerate(value):
            yield from _blank_strings(element, f"{path}[{index}]")
    elif isinstance(value, str) and not value.strip():
        yield path, "This text is empty: write it. Every text here is shown to someone."


def _tag(item: msgspec.Struct) -> str:
    return str(type(item).__struct_config__.tag)


def _choice_problems(path: str, item: ChoiceItem, scored: bool) -> Found:
    yield from _duplicate_ids(f"{path}.options", item.options, "option")
    correct = sum(option.correct for option in item.options)
    if correct == 0 and scored:
        yield (
            path,
            f"No option of choice item `{item.id}` is marked `correct: true`: mark the right "
            "answer (or answers, with `multiple: true`).",
        )
    elif correct > 1 and not item.multiple:
        yield (
            path,
            f"{correct} options of choice item `{item.id}` are marked correct but a learner can "
            "pick only one: mark just one, or set `multiple: true`.",
        )


def _classify_problems(path: str, item: ClassifyItem) -> Found:
    yield from _duplicate_ids(f"{path}.categories", item.categories, "category")
    yield from _duplicate_ids(f"{path}.entries", item.entries, "entry")
    categories = [category.id for category in item.categories]
    for index, entry in enumerate(item.entries):
        if entry.category not in categories:
            yield (
                f"{path}.entries[{index}].category",
                f"Entry `{entry.id}` belongs in category `{entry.category}`, which item "
                f"`{item.id}` does not have: use one of {_names(categories)}, or add it.",
            )


def _item_problems(path: str, item: Item, scored: bool) -> Found:
    # A choice in an unscored form (a self-assessment's "my strongest skill") has no right answer.
    if isinstance(item, ChoiceItem):
        yield from _choice_problems(path, item, scored)
    elif isinstance(item, ClassifyItem):
        yield from _classify_problems(path, item)
    elif isinstance(item, OrderItem):
        yield from _duplicate_ids(f"{path}.entries", item.entries, "entry")
    elif isinstance(item, MatrixItem):
        yield from _duplicate_ids(f"{path}.statements", item.statements, "statement")
    elif isinstance(item, TableItem):
        yield from _duplicate_ids(f"{path}.columns", item.columns, "column")
        yield from _duplicate_ids(f"{path}.rows", item.rows, "row")
    elif isinstance(item, ScenarioItem):
        yield from graph_problems(path, item)


def _form_problems(path: str, form: Form) -> Found:
    yield from _duplicate_ids(f"{path}.items", form.items, "item")
    scoring = form.policy.scoring
    if form.kind == "knowledge_check":
        if scoring != "automatic":
            yield (
                f"{path}.policy.scoring",
                f"Form `{form.id}` is a knowledge check but its scoring is `{scoring}`: set "
                "`scoring: automatic` so that answers are marked.",
            )
        for index, item in enumerate(form.items):
            if not isinstance(item, SCORABLE_ITEMS):
                yield (
                    f"{path}.items[{index}]",
                    f"Item `{item.id}` is a `{_tag(item)}` item, which has no right answer to "
                    "mark, in a knowledge check: use a choice, classify, order, text_entry or scenario "
                    "item, or move it to a worksheet or reflection.",
                )
    elif scoring == "automatic" and not any(isinstance(i, SCORABLE_ITEMS) for i in form.items):
        yield (
            f"{path}.policy.scoring",
            f"Form `{form.id}` is scored automatically but none of its items has a right answer: "
            "set `scoring: completion`, or add choice, classify, order, text_entry or scenario items.",
        )
    for index, item in enumerate(form.items):
        yield from _item_problems(f"{path}.items[{index}]", item, scored=scoring == "automatic")


def _condition_problems(path: str, condition: Condition, forms: dict[str, Form]) -> Found:
    if isinstance(condition, AllOf | AnyOf):
        if not condition.conditions:
            meaning = "always met" if isinstance(condition, AllOf) else "never met"
            yield (
                f"{path}.conditions",
                f"This `{_tag(condition)}` has no conditions, so it is {meaning}: add the "
                "conditions, or replace it with a single `form_submitted` or `quiz_passed`.",
            )
        for index, child in enumerate(condition.conditions):
            yield from _condition_problems(f"{path}.conditions[{index}]", child, forms)
        return
    if isinstance(condition, Attended):
        return
    form = forms.get(condition.form)
    if form is None:
        yield (
            f"{path}.form",
            f"The completion rule names form `{condition.form}`, which this module does not "
            f"have: use one of {_names(list(forms))}.",
        )
    elif isinstance(condition, QuizPassed) and form.policy.scoring == "none":
        yield (
            f"{path}.form",
            f"`quiz_passed` needs a score, but form `{form.id}` is not scored (`scoring: none`):"
            " use `form_submitted`, or score the form.",
        )


def _reference(path: str, ref: str, ids: Sequence[str], what: str, owner: str) -> Found:
    if ref not in ids:
        known = f"use one of {_names(ids)}" if ids else f"add the {what}"
        yield (
            path,
            f"{owner} names {what} `{ref}`, which this module does not have: {known} (or fix the id).",
        )


def _module_problems(module: Module) -> Found:
    yield from _duplicate_ids("$.activities", module.activities, "activity")
    yield from _duplicate_ids("$.forms", module.forms, "form")
    yield from _duplicate_ids("$.handouts", module.handouts, "handout")
    forms = {form.id: form for form in module.forms}
    form_ids = list(forms)
    handout_ids = [handout.id for handout in module.handouts]
    activity_ids = [activity.id for activity in module.activities]
    for index, form in enumerate(module.forms):
        yield from _form_problems(f"$.forms[{index}]", form)
    for index, activity in enumerate(module.activities):
        owner = f"Activity `{activity.id}`"
        if activity.form is not None:
            yield from _reference(f"$.activities[{index}].form", activity.form, form_ids, "form", owner)
        if activity.handout is not None:
            path = f"$.activities[{index}].handout"
            yield from _reference(path, activity.handout, handout_ids, "handout", owner)
    for index, step in enumerate(module.facilitator_script):
        if step.activity is not None:
            path = f"$.facilitator_script[{index}].activity"
            owner = "This script step"
            yield from _reference(path, step.activity, activity_ids, "activity", owner)
    for index, material in enumerate(module.materials):
        if material.ref is None:
            continue
        # A material of kind form or handout must be that; a worksheet may be either.
        ids, what = {
            "form": (form_ids, "form"),
            "handout": (handout_ids, "handout"),
        }.get(material.kind, (form_ids + handout_ids, "form or handout"))
        owner = f"Material “{material.title}”"
        yield from _reference(f"$.materials[{index}].ref", material.ref, ids, what, owner)
    yield from _condition_problems("$.completion", module.completion, forms)
    yield from _blank_strings(module, "$")


def _minutes(value: float) -> str:
    return f"{value:g}"


def _agenda_problems(agenda: Agenda, modules: dict[str, Module]) -> Found:
    """A module block runs a module of the course and leaves out only its activities, and its
    minutes are its kept steps'; other blocks are named and described; the blocks add up."""
    for index, block in enumerate(agenda.blocks):
        path = f"$.blocks[{index}]"
        if block.kind != "module":
            if block.module is not None or block.leave_out:
                yield (
                    path,
                    f"A `{block.kind}` block runs no module: remove `module` and `leave_out`, or "
                    "make it `kind: module`.",
                )
            for field in ("title", "text"):
                if getattr(block, field) is None:
                    yield (
                        f"{path}.{field}",
                        f"A `{block.kind}` block needs a `{field}` in English and Spanish (`en:`, "
                        "`es:`): the packet prints it.",
                    )
            continue
        module = modules.get(block.module or "")
        if module is None:
            yield (
                f"{path}.module",
                f"A module block names the module it runs; `{block.module}` is not one of "
                f"{_names(list(modules))}.",
            )
            continue
        activities = [activity.id for activity in module.activities]
        for n, left in enumerate(block.leave_out):
            if left not in activities:
                yield (
                    f"{path}.leave_out[{n}]",
                    f"Module `{module.id}` has no activity `{left}`: use one of {_names(activities)}.",
                )
        kept = block_minutes(module, block.leave_out)
        if abs(kept - block.minutes) > 0.01:
            yield (
                f"{path}.minutes",
                f"The script steps this block keeps of `{module.id}` take {_minutes(kept)} minutes, "
                f"not {_minutes(block.minutes)}: write {_minutes(kept)}, or change `leave_out`.",
            )
    total = sum(block.minutes for block in agenda.blocks)
    if abs(total - agenda.minutes) > 0.01:
        yield (
            "$.minutes",
            f"The blocks add up to {_minutes(total)} minutes, not {_minutes(agenda.minutes)}: make "
            "them fit, or state the total they take.",
        )
    yield from _blank_strings(agenda, "$")


def _spanish_misses(check: "_GlossaryCheck | None", document: msgspec.Struct) -> Found:
    """The glossary's misses in a document with English and Spanish side by side (`Localized`):
    each Spanish text is held to the terms of the English beside it."""
    if check is None:
        return
    paths = text_paths(document)
    strings = {path: paths[path[:-3] + ".es"] for path in paths if path.endswith(".en")}
    for path, message in check.misses(strings, document):
        yield f"$.{path[:-3]}.es", message


def _fold(text: str) -> str:
    """`text` as the glossary compares it: casefolded, without accents, hyphens as spaces and
    one space between words, so that "Oficina Principal" contains "oficina principal"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(text.replace("-", " ").split())


class _GlossaryCheck:
    """The terms of one glossary, compiled once for all the translations into its language."""

    def __init__(self, glossary: Glossary, file: str) -> None:
        self.file = file
        self.terms = [
            (
                term,
                re.compile(rf"\b{re.escape(_fold(term.term))}(?:s|es)?\b"),
                [_fold(rendering) for rendering in (term.translation, *term.inflections)],
            )
            for term in glossary.terms
        ]

    def misses(self, strings: dict[str, str], english: msgspec.Struct) -> Found:
        """A problem for each translated string whose English (in the module or the course)
        holds a term that the translation does not render the glossary's way."""
        originals = text_paths(english)
        for key, text in strings.items():
            if key not in originals:
                continue  # reported as a key with no English original
            original, folded = _fold(originals[key]), _fold(text)
            for term, pattern, renderings in self.terms:
                if pattern.search(original) and not any(r in folded for r in renderings):
                    yield (
                        key,
                        f"The English says “{term.term}”, which {self.file} renders as "
                        f"“{term.translation}”: use that term here ({term.note.rstrip('.')}).",
                    )


def _glossary_problems(glossary: Glossary) -> Found:
    first: dict[str, int] = {}
    for index, term in enumerate(glossary.terms):
        folded = _fold(term.term)
        if folded in first:
            yield (
                f"$.terms[{index}].term",
                f"“{term.term}” is already in the glossary at $.terms[{first[folded]}]: a term "
                "has one rendering, so keep one entry and put other forms in `inflections`.",
            )
        first.setdefault(folded, index)
    yield from _blank_strings(glossary, "$")


def _translation_problems(strings: dict[str, str], english: Module | Course) -> Found:
    paths = text_paths(english)
    for key, text in strings.items():
        if key not in paths:
            where = f"module `{english.id}`" if isinstance(english, Module) else "course.yaml"
            example = (
                "list elements by id, e.g. `forms[quiz].items[q1].prompt`"
                if isinstance(english, Module)
                else f"one of {_names(list(paths))}"
            )
            yield (
                key,
                f"This translation key has no English original in {where}: copy the path "
                f"exactly as `frontoffice content check` or the English file gives it ({example}), "
                "or remove it.",
            )
        elif not text.strip():
            yield (
                key,
                "This translation is empty: translate it, or remove the key to show the English.",
            )


# --- Reading the content folder -------------------------------------------------------------


class _Reading:
    """The state of one pass over the content folder: problems so far, and what decoded."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[ContentProblem] = []

    def add(
        self, file: Path, path: str, message: str, severity: Literal["error", "warning"] = "error"
    ) -> None:
        self.problems.append(
            ContentProblem(
                file=file.relative_to(self.root).as_posix(), path=path, message=message, severity=severity
            )
        )

    def decode(self, file: Path, decoder: _YamlDecoder[T]) -> T | None:
        try:
            data = decoder.decode_builtins(file.read_bytes())
        except yaml.YAMLError as exc:
            self.add(file, *_yaml_problem(exc))
            return None
        failed = False
        # msgspec stops at the first error; step past the ones that can be stepped past (an
        # unknown field, a bad optional value) and decode again, so an author sees them all.
        for _ in range(_MAX_ERRORS_PER_FILE):
            try:
                decoded = decoder.convert(data)
            except msgspec.ValidationError as exc:
                failed = True
                for path, message in _validation_problems(exc, decoder, data):
                    self.add(file, path, message)
                if not _step_past(str(exc), decoder.type_info, data):
                    return None
            else:
                return None if failed else decoded
        return None

    def yaml_files(self, folder: Path) -> list[Path]:
        """The `.yaml` files of `folder`; anything else there is a problem, as it is ignored."""
        if not folder.is_dir():
            return []
        files: list[Path] = []
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_file() and entry.suffix == ".yaml":
                files.append(entry)
            else:
                self.add(
                    entry,
                    "$",
                    "This is not read: only `.yaml` files belong here (rename a `.yml` file).",
                )
        return files


def _read(root: Path) -> tuple[CourseBundle | None, list[ContentProblem]]:
    reading = _Reading(root)

    course_file = root / "course.yaml"
    course: Course | None = None
    if course_file.is_file():
        course = reading.decode(course_file, _COURSE)
    else:
        reading.add(course_file, "$", "There is no course.yaml: write the course file.")
    if course is not None:
        for path, message in _blank_strings(course, "$"):
            reading.add(course_file, path, message)
        first: dict[str, int] = {}
        for index, module_id in enumerate(course.modules):
            if module_id in first:
                reading.add(
                    course_file,
                    f"$.modules[{index}]",
                    f"Module `{module_id}` is listed twice (first at $.modules"
                    f"[{first[module_id]}]): remove one.",
                )
            first.setdefault(module_id, index)

    # Module files by id; a file that did not decode still counts as present, so that its
    # problems are reported once, not again as "no file" or "unknown module".
    modules: dict[str, Module] = {}
    present: set[str] = set()
    module_files: dict[str, Path] = {}
    for file in reading.yaml_files(root / "modules"):
        module = reading.decode(file, _MODULE)
        if module is None:
            present.add(file.stem)
            continue
        if module.id != file.stem:
            reading.add(
                file,
                "$.id",
                f"The file is named `{file.name}` but the module's id is `{module.id}`: rename "
                f"the file to `{module.id}.yaml`, or fix the id.",
            )
        if f"{module.id}.yaml" == _COURSE_TRANSLATION_FILE:
            reading.add(
                file,
                "$.id",
                f"`{module.id}` can't be a module id: translations/<locale>/{_COURSE_TRANSLATION_FILE} "
                "translates the course itself. Choose another id.",
            )
        if module.id in modules:
            reading.add(
                file,
                "$.id",
                f"Module id `{module.id}` is already used by "
                f"{module_files[module.id].relative_to(root).as_posix()}: give each module its "
                "own id.",
            )
            continue
        present.add(module.id)
        modules[module.id] = module
        module_files[module.id] = file
        errors = list(_module_problems(module))
        for path, message in errors:
            reading.add(file, path, message)
        # Times are weighed on a module that holds together (its references resolve).
        for path, message in [] if errors else timing_problems(module):
            reading.add(file, path, message, "warning")

    if course is not None:
        for index, module_id in enumerate(course.modules):
            if module_id not in present:
                reading.add(
                    course_file,
                    f"$.modules[{index}]",
                    f"The course lists module `{module_id}` but no module file has that id: "
                    f"write modules/{module_id}.yaml, or remove `{module_id}` from the course.",
                )
        for module_id, file in module_files.items():
            if module_id not in course.modules:
                reading.add(
                    file,
                    "$.id",
                    f"Module `{module_id}` is not in the course: add its id to `modules` in "
                    "course.yaml, or delete this file.",
                )

    translations: dict[tuple[str, str], Translation] = {}
    translation_files: dict[tuple[str, str], Path] = {}
    course_translations: dict[str, dict[str, str]] = {}
    course_translation_files: dict[str, Path] = {}
    glossaries: dict[str, _GlossaryCheck] = {}
    translations_dir = root / "translations"
    folders = [f for f in sorted(translations_dir.iterdir())] if translations_dir.is_dir() else []
    for folder in folders:
        if folder.name.startswith("."):
            continue
        if folder.is_file() and (named := _GLOSSARY_FILE.match(folder.name)):
            glossary = reading.decode(folder, _GLOSSARY)
            if glossary is not None:
                for path, message in _glossary_problems(glossary):
                    reading.add(folder, path, message)
                relative = folder.relative_to(root).as_posix()
                glossaries[named["locale"]] = _GlossaryCheck(glossary, relative)
            continue
        if not folder.is_dir():
            reading.add(
                folder,
                "$",
                "Translations go in a folder per language: move this to "
                "translations/<locale>/<module-id>.yaml (a glossary is "
                "translations/glossary-<locale>.yaml).",
            )
            continue
        for file in reading.yaml_files(folder):
            if file.name == _COURSE_TRANSLATION_FILE:
                course_translation = reading.decode(file, _COURSE_TRANSLATION)
                if (
                    course_translation is not None
                    and course is not None
                    and _course_translation_fits(reading, file, folder.name, course_translation, course)
                ):
                    course_translations[course_translation.locale] = course_translation.strings
                    course_translation_files[course_translation.locale] = file
                continue
            translation = reading.decode(file, _TRANSLATION)
            if translation is None:
                continue
            if translation.locale != folder.name:
                reading.add(
                    file,
                    "$.locale",
                    f"This file is in folder `{folder.name}` but says `locale: "
                    f"{translation.locale}`: move it to translations/{translation.locale}/, or "
                    "fix the locale.",
                )
            if translation.module != file.stem:
                reading.add(
                    file,
                    "$.module",
                    f"The file is named `{file.name}` but translates module "
                    f"`{translation.module}`: rename the file to `{translation.module}.yaml`, or "
                    "fix `module`.",
                )
            key = (translation.module, translation.locale)
            if key in translations:
                reading.add(
                    file,
                    "$.module",
                    f"Another file already translates module `{translation.module}` into "
                    f"`{translation.locale}`: keep one file per module and language.",
                )
                continue
            english = modules.get(translation.module)
            if english is None:
                if translation.module not in present:
                    reading.add(
                        file,
                        "$.module",
                        f"There is no module `{translation.module}` to translate: fix the "
                        "module id, or delete this file.",
                    )
                continue
            translations[key] = translation
            translation_files[key] = file
            for path, message in _translation_problems(translation.strings, english):
                reading.add(file, path, message)

    for (module_id, locale), translation in translations.items():
        if check := glossaries.get(locale):
            for path, message in check.misses(translation.strings, modules[module_id]):
                reading.add(translation_files[(module_id, locale)], path, message)
    locales = {"en", *(locale for _, locale in translations)}
    for (module_id, locale), where, message in _reflection_scale_problems(
        [modules[m] for m in module_files], translations, sorted(locales)
    ):
        file = module_files[module_id] if locale == "en" else translation_files[(module_id, locale)]
        reading.add(file, where, message)
    for locale, strings in course_translations.items():
        if course is not None and (check := glossaries.get(locale)):
            for path, message in check.misses(strings, course):
                reading.add(course_translation_files[locale], path, message)

    agendas: list[Agenda] = []
    for file in reading.yaml_files(root / "agendas"):
        agenda = reading.decode(file, _AGENDA)
        if agenda is None:
            continue
        if agenda.id != file.stem:
            reading.add(
                file,
                "$.id",
                f"The file is named `{file.name}` but the agenda's id is `{agenda.id}`: rename the "
                f"file to `{agenda.id}.yaml`, or fix the id.",
            )
        if agenda.id in present:
            reading.add(
                file,
                "$.id",
                f"`{agenda.id}` is a module's id: a module's own agenda is its script, so give this "
                "agenda another id.",
            )
        spanish = _spanish_misses(glossaries.get("es"), agenda)
        for path, message in [*_agenda_problems(agenda, modules), *spanish]:
            reading.add(file, path, message)
        agendas.append(agenda)
    job_aid: JobAid | None = None
    if (job_aid_file := root / _JOB_AID_FILE).is_file():
        job_aid = reading.decode(job_aid_file, _JOB_AID)
        if job_aid is not None:
            spanish = _spanish_misses(glossaries.get("es"), job_aid)
            for path, message in [*_blank_strings(job_aid, "$"), *spanish]:
                reading.add(job_aid_file, path, message)

    if course is None or any(problem.severity == "error" for problem in reading.problems):
        return None, reading.problems
    bundle = CourseBundle(
        course=course,
        modules=[modules[module_id] for module_id in course.modules],
        translations=translations,
        course_translations=course_translations,
        agendas=agendas,
        job_aid=job_aid,
    )
    return bundle, reading.problems


def _reflection_scale_problems(
    modules: list[Module], translations: dict[tuple[str, str], Translation], locales: list[str]
) -> Iterator[tuple[tuple[str, str], str, str]]:
    """Every reflection rates its module on one scale, worded the same in every module and
    language, so that ratings can be compared across the course. ((module, locale), path,
    message) for each rating whose labels differ from the first module's in that language."""
    first: dict[str, tuple[str, list[str]]] = {}
    for module in modules:
        for f, form in enumerate(module.forms):
            if form.kind != "reflection":
                continue
            for i, item in enumerate(form.items):
                if not isinstance(item, RatingItem):
                    continue
                base = f"forms[{form.id}].items[{item.id}].scale.labels"
                for locale in locales:
                    if locale == "en":
                        strings, where = {}, f"$.forms[{f}].items[{i}].scale.labels"
                    elif (module.id, locale) in translations:
                        strings, where = translations[(module.id, locale)].strings, base
                    else:
                        continue  # an untranslated module is English throughout
                    labels = [
                        strings.get(f"{base}[{n}].label", x.label) for n, x in enumerate(item.scale.labels)
                    ]
                    seen = first.setdefault(locale, (module.id, labels))
                    if labels != seen[1]:
                        yield (
                            (module.id, locale),
                            where,
                            f"This reflection's rating scale reads {labels}, but module `{seen[0]}` "
                            f"reads {seen[1]}: word every module's scale the same, so that their "
                            "ratings can be compared.",
                        )


def _course_translation_fits(
    reading: _Reading, file: Path, folder: str, translation: CourseTranslation, course: Course
) -> bool:
    """Report what is wrong with a translation of the course; True when it can be used."""
    fits = True
    if translation.locale != folder:
        fits = False
        reading.add(
            file,
            "$.locale",
            f"This file is in folder `{folder}` but says `locale: {translation.locale}`: move it "
            f"to translations/{translation.locale}/, or fix the locale.",
        )
    if translation.course != course.id:
        fits = False
        reading.add(
            file,
            "$.course",
            f"This file translates course `{translation.course}`, but course.yaml is "
            f"`{course.id}`: fix `course`.",
        )
    for path, message in _translation_problems(translation.strings, course):
        fits = False
        reading.add(file, path, message)
    return fits


def check_content(content_dir: Path) -> list[ContentProblem]:
    """Every problem found in the content under `content_dir`, errors and warnings; empty when
    it is all good.

    A file that does not decode reports its decoding errors up to the first one that cannot be
    stepped past (see `_step_past`); the checks on its content run once it decodes.
    """
    return _read(content_dir)[1]


def load_course(content_dir: Path) -> CourseBundle:
    """The course under `content_dir` with its modules and translations.

    Raises ContentError, carrying every problem, when `check_content` finds any error; warnings
    do not stop it (`frontoffice content check` reports them).
    """
    bundle, problems = _read(content_dir)
    if bundle is None:
        raise ContentError(problems)
    return bundle
