"""Payloads of the scenario step route: the path so far in, the node reached (or the ending) out.

A learner is never served a scenario's graph: the learner view holds only its start node, and
each further node comes from this route once the learner has chosen. Nothing here carries an
ending's score, whether it is safe, or any branch the learner did not take.
"""

from typing import Annotated

from msgspec import Meta

from schemas.base import Wire
from schemas.content import Id, Markdown
from schemas.content_views import LearnerScenarioNode


class ScenarioWalk(Wire, kw_only=True):
    """The choices taken so far, from the start node; empty for the start node itself."""

    path: Annotated[
        list[Annotated[str, Meta(max_length=64)]],
        Meta(max_length=100, description="Choice ids, in the order taken."),
    ]


class LearnerScenarioEnding(Wire, kw_only=True):
    """How the situation ended for this learner (its credit comes with the submitted attempt)."""

    id: Id
    title: str
    text: Markdown


class ScenarioStep(Wire, kw_only=True):
    """Where the path arrives: the next node to choose at, or the ending; with the feedback of
    the last choice taken."""

    item: Annotated[str, Meta(description="The scenario item's id.")]
    path: Annotated[list[str], Meta(description="The path walked, as sent.")]
    feedback: Annotated[
        Markdown | None, Meta(description="What the last choice did and why; null for the empty path.")
    ]
    node: Annotated[LearnerScenarioNode | None, Meta(description="The node reached; null at an ending.")]
    ending: Annotated[LearnerScenarioEnding | None, Meta(description="The ending reached, if any.")]
