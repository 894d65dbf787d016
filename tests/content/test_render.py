"""Markdown rendering: safe HTML, and every Markdown field of a view rendered, nothing else."""

from html.parser import HTMLParser

import msgspec
import pytest
from msgspec import inspect

from api.content.render import is_markdown, render_html, render_markdown
from api.content.views import course_view, facilitator_module, learner_module, module_summary
from schemas.content import (
    Activity,
    ChoiceItem,
    ChoiceOption,
    Course,
    Form,
    FormSubmitted,
    Handout,
    Module,
    ScriptStep,
)


def test_commonmark_to_html() -> None:
    html = render_markdown("# Welcome\n\nBe **kind** and *quick*.\n\n- listen\n- act\n")
    assert html == (
        "<h1>Welcome</h1>\n<p>Be <strong>kind</strong> and <em>quick</em>.</p>\n"
        "<ul>\n<li>listen</li>\n<li>act</li>\n</ul>"
    )


class Tags(HTMLParser):
    """The tags and attributes of an HTML fragment, as a browser would parse them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "Hello <img src=x onerror=alert(1)>",
        '<a href="https://example.org" onclick="alert(1)">x</a>',
        "<iframe src='https://example.org'></iframe>",
        "<div style='position:fixed'>over everything</div>",
    ],
)
def test_raw_html_is_never_passed_through(text: str) -> None:
    html = render_markdown(text)
    assert Tags(html).found == [("p", {})]
    assert html.startswith("<p>&lt;") or html.startswith("<p>Hello &lt;")  # shown as text


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](data:image/svg+xml;base64,PHN2Zz4=)",
        "[click](file:///etc/passwd)",
        "[click](ftp://example.org/file)",  # markdown-it allows it; nh3 drops it
        "<javascript:alert(1)>",
    ],
)
def test_unsafe_link_schemes_are_dropped(text: str) -> None:
    for tag, attributes in Tags(render_markdown(text)).found:
        for name in ("href", "src"):
            value = (attributes.get(name) or "").lower()
            assert value.startswith(("http:", "https:", "mailto:")) or not value, (tag, value)


def test_links_get_rel_noopener() -> None:
    html = render_markdown("[our site](https://example.org/a?b=1) and <mailto:help@example.org>")
    assert '<a href="https://example.org/a?b=1" rel="noopener noreferrer">our site</a>' in html
    assert 'href="mailto:help@example.org" rel="noopener noreferrer"' in html


def test_empty_text() -> None:
    assert render_markdown("") == ""


# --- Which fields are Markdown ---


def field_type(cls: type[msgspec.Struct], name: str) -> inspect.Type:
    info = inspect.type_info(cls)
    assert isinstance(info, inspect.StructType)
    return next(f.type for f in info.fields if f.name == name)


def test_markdown_mark_survives_nested_annotated() -> None:
    # Course.description is Annotated[Markdown, Meta(description=...)]: both metas must survive.
    description = field_type(Course, "description")
    assert isinstance(description, inspect.Metadata)
    assert description.extra_json_schema is not None
    assert description.extra_json_schema["contentMediaType"] == "text/markdown"
    assert description.extra_json_schema["description"] == "What the course is and who it is for."
    assert is_markdown(description)
    assert is_markdown(field_type(ChoiceOption, "feedback"))
    assert is_markdown(field_type(ChoiceItem, "prompt"))  # the bare alias


def test_plain_text_and_ids_are_not_markdown() -> None:
    assert not is_markdown(field_type(Course, "title"))
    assert not is_markdown(field_type(Course, "id"))
    assert not is_markdown(field_type(Module, "goals"))
    assert not is_markdown(field_type(Activity, "form"))


# --- Rendering views ---


def module() -> Module:
    return Module(
        id="intro",
        title="**Not** Markdown",
        summary="Service *matters*.",
        goals=["Say **why**"],
        minutes=20,
        facilitator_script=[ScriptStep(kind="say", minutes=1, text="Say *hello*.")],
        learner_instructions="Read [the notes](https://example.org).",
        activities=[Activity(id="start", title="Start", minutes=5, instructions="Go <b>now</b>.")],
        forms=[
            Form(
                id="check",
                kind="knowledge_check",
                title="Check",
                instructions="Answer **all**.",
                items=[
                    ChoiceItem(
                        id="q1",
                        prompt="Pick *one*",
                        options=[
                            ChoiceOption(id="a", text="`A`", feedback="**Yes**", correct=True),
                            ChoiceOption(id="b", text="B", feedback="No"),
                        ],
                    )
                ],
            )
        ],
        completion=FormSubmitted(form="check"),
        handouts=[Handout(id="notes", title="Notes", body="> quoted")],
    )


def test_render_learner_view() -> None:
    original = learner_module(module(), "1")
    before = msgspec.json.encode(original)
    view = render_html(original)
    assert msgspec.json.encode(original) == before  # a copy; the cached view is untouched
    assert view.summary == "<p>Service <em>matters</em>.</p>"
    assert view.learner_instructions == (
        '<p>Read <a href="https://example.org" rel="noopener noreferrer">the notes</a>.</p>'
    )
    assert view.activities[0].instructions == "<p>Go &lt;b&gt;now&lt;/b&gt;.</p>"
    assert view.forms[0].instructions == "<p>Answer <strong>all</strong>.</p>"
    item = view.forms[0].items[0]
    assert isinstance(item, type(original.forms[0].items[0]))
    assert msgspec.to_builtins(item)["prompt"] == "<p>Pick <em>one</em></p>"
    assert msgspec.to_builtins(item)["options"][0] == {"id": "a", "text": "<p><code>A</code></p>"}
    assert view.handouts[0].body == "<blockquote>\n<p>quoted</p>\n</blockquote>"
    # Titles, goals and ids are plain text and stay as written.
    assert view.title == "**Not** Markdown"
    assert view.goals == ["Say **why**"]
    assert view.id == "intro"


def test_render_facilitator_view() -> None:
    view = render_html(facilitator_module(module(), "1"))
    assert view.version == "1"
    assert view.facilitator_script[0].text == "<p>Say <em>hello</em>.</p>"
    item = view.forms[0].items[0]
    assert isinstance(item, ChoiceItem)
    assert item.options[0].feedback == "<p><strong>Yes</strong></p>"
    assert item.options[0].correct is True


def test_render_course_view() -> None:
    course = Course(
        id="a-plus", title="A+", description="For *staff*.", audience=["Staff"], modules=["intro"]
    )
    view = render_html(course_view(course, [module_summary(module(), "1")]))
    assert view.description == "<p>For <em>staff</em>.</p>"
    assert view.modules[0].summary == "<p>Service <em>matters</em>.</p>"
    assert view.modules[0].title == "**Not** Markdown"
