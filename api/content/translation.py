"""Translatable strings of a module, addressed by path, and applying a translation to a module.

A path names fields with `.`; a list element is `[id]` when it has an `id`, else `[index]`.
A string is translatable when its field is free text (`str` or `Markdown` in the content
model): ids carry a pattern and enumerations are `Literal`s, so neither counts.
"""

from functools import cache
from typing import Any, TypeVar

import msgspec
from msgspec import inspect

from schemas.content import TextEntryItem

S = TypeVar("S", bound=msgspec.Struct)


@cache
def _fields(cls: type[msgspec.Struct]) -> tuple[inspect.Field, ...]:
    info = inspect.type_info(cls)
    assert isinstance(info, inspect.StructType)
    return info.fields


def _unwrap(t: inspect.Type) -> inspect.Type:
    # Descriptions (Meta without constraints) wrap a type in Metadata; look through it.
    return _unwrap(t.type) if isinstance(t, inspect.Metadata) else t


def _is_prose(t: inspect.Type) -> bool:
    t = _unwrap(t)
    if isinstance(t, inspect.UnionType):
        return any(_is_prose(member) for member in t.types)
    return isinstance(t, inspect.StrType) and t.pattern is None


def _element_key(element: object, index: int) -> str:
    key = getattr(element, "id", None)
    return f"[{key}]" if isinstance(key, str) else f"[{index}]"


def _walk(value: object, t: inspect.Type, path: str, out: dict[str, str]) -> None:
    if isinstance(value, msgspec.Struct):
        for field in _fields(type(value)):
            child = f"{path}.{field.name}" if path else field.name
            _walk(getattr(value, field.name), field.type, child, out)
    elif isinstance(value, list):
        t = _unwrap(t)
        item_type = t.item_type if isinstance(t, inspect.ListType) else inspect.AnyType()
        for index, element in enumerate(value):
            _walk(element, item_type, path + _element_key(element, index), out)
    elif isinstance(value, str) and _is_prose(t):
        out[path] = value


def text_paths(document: msgspec.Struct) -> dict[str, str]:
    """Every translatable string of `document`, keyed by its path, in document order."""
    out: dict[str, str] = {}
    _walk(document, inspect.type_info(type(document)), "", out)
    return out


def _replace(data: Any, path: str, strings: dict[str, str]) -> Any:
    if isinstance(data, dict):
        return {
            key: _replace(value, f"{path}.{key}" if path else key, strings) for key, value in data.items()
        }
    if isinstance(data, list):
        return [
            _replace(element, path + _builtin_key(element, index), strings)
            for index, element in enumerate(data)
        ]
    if isinstance(data, str) and path in strings:
        return strings[path]
    return data


def _builtin_key(element: object, index: int) -> str:
    key = element.get("id") if isinstance(element, dict) else None
    return f"[{key}]" if isinstance(key, str) else f"[{index}]"


class TextEntryInLanguage(TextEntryItem, kw_only=True):
    """A text entry as it is marked for a learner working in one language: `accepted` holds that
    language's answers, matched with the item's typo allowance; `elsewhere` the other languages'
    answers, matched exactly (accents and case aside). So "informal" is never one typo away from
    right through a Spanish "informar" for a learner answering in English. Built by the catalog,
    never authored or served."""

    elsewhere: list[str] = []


def apply_translation(document: S, strings: dict[str, str]) -> S:
    """A copy of `document` with each translatable string that `strings` names replaced.

    Only paths of translatable strings are replaced, so a translation can never change an id,
    an answer key's structure or an enumerated value.
    """
    translatable = text_paths(document)
    allowed = {path: text for path, text in strings.items() if path in translatable}
    data = _replace(msgspec.to_builtins(document), "", allowed)
    return msgspec.convert(data, type(document))
