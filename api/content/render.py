"""Markdown to sanitized HTML, for one text or for every Markdown field of a served view.

Markdown is parsed as CommonMark with raw HTML off (so `<script>` in a text is shown as text),
then cleaned by nh3 as a second line of defence: only the tags CommonMark produces, links only
to http, https and mailto, and every link opened with `rel="noopener noreferrer"`. A field is
Markdown when its type is the `Markdown` alias of `schemas/content.py`, whose JSON Schema
`contentMediaType` is `text/markdown`; that mark survives nesting in other `Annotated` types.
"""

from functools import cache
from typing import TypeVar

import msgspec
import nh3
from markdown_it import MarkdownIt
from msgspec import inspect

S = TypeVar("S", bound=msgspec.Struct)

MARKDOWN_MEDIA_TYPE = "text/markdown"

_TAGS = {
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img",
    "li", "ol", "p", "pre", "strong", "ul",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
_URL_SCHEMES = {"http", "https", "mailto"}


@cache
def _parser() -> MarkdownIt:
    # Built on first use, not at import; rendering keeps its state per call, so one is shared.
    return MarkdownIt("commonmark", {"html": False})


def render_markdown(text: str) -> str:
    """`text` (CommonMark) as sanitized HTML."""
    html = _parser().render(text)
    cleaned: str = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return cleaned.rstrip("\n")


def is_markdown(t: inspect.Type) -> bool:
    """Whether a field of type `t` (as msgspec.inspect gives it) holds Markdown."""
    if isinstance(t, inspect.Metadata):
        schema = t.extra_json_schema or {}
        return schema.get("contentMediaType") == MARKDOWN_MEDIA_TYPE or is_markdown(t.type)
    if isinstance(t, inspect.UnionType):
        return any(is_markdown(member) for member in t.types)
    return False


@cache
def _fields(cls: type[msgspec.Struct]) -> tuple[inspect.Field, ...]:
    info = inspect.type_info(cls)
    assert isinstance(info, inspect.StructType)
    return info.fields


def _item_type(t: inspect.Type) -> inspect.Type:
    while isinstance(t, inspect.Metadata):
        t = t.type
    if isinstance(t, inspect.UnionType):
        # `list[...] | None`: the list member says what the elements are.
        t = next((m for m in t.types if isinstance(m, inspect.ListType)), t)
    return t.item_type if isinstance(t, inspect.ListType) else inspect.AnyType()


def _render(value: object, t: inspect.Type) -> object:
    if isinstance(value, msgspec.Struct):
        # The value's own class says what its fields are, whichever member of a union it is.
        changes = {
            field.name: _render(getattr(value, field.name), field.type) for field in _fields(type(value))
        }
        return msgspec.structs.replace(value, **changes)
    if isinstance(value, list):
        item_type = _item_type(t)
        return [_render(element, item_type) for element in value]
    if isinstance(value, str) and is_markdown(t):
        return render_markdown(value)
    return value


def render_html(view: S) -> S:
    """A copy of `view` (learner, facilitator, summary or course view) with every Markdown field
    rendered to sanitized HTML; other fields (titles, labels, ids) are left as they are."""
    rendered = _render(view, inspect.type_info(type(view)))
    assert isinstance(rendered, type(view))
    return rendered
