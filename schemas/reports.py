"""Payloads of the group's view: combined lists, anonymous form results, item analysis."""

from typing import Annotated

from msgspec import Meta

from schemas.base import Wire
from schemas.progress import CombinedEntry


class GroupFilter(Wire, kw_only=True):
    """Which learners a group view covers (empty: all of the district's)."""

    school: str = ""
    role: str = ""
    cohort: str = ""


class CombinedList(Wire, kw_only=True):
    """Everything a group named for a list item, normalized and counted (the flipchart)."""

    module_id: str
    form_id: str
    item_id: str
    respondents: int
    entries: list[CombinedEntry]
    group: GroupFilter
    min_group_size: Annotated[
        int, Meta(description="Fewest respondents before a learner sees the entries (the form's).")
    ] = 1
    shown: Annotated[
        bool,
        Meta(
            description="False when the caller is a learner and fewer than `min_group_size` "
            "responded: `entries` is then empty, so no colleague's answer can be picked out."
        ),
    ] = True


class ScaleCount(Wire, kw_only=True):
    value: int
    label: str
    count: int


class ItemSummary(Wire, kw_only=True):
    """One item of a form, summarized across respondents."""

    item_id: str
    prompt: str
    distribution: Annotated[list[ScaleCount], Meta(description="For ratings: count per scale point.")] = []
    statements: Annotated[
        dict[str, list[ScaleCount]], Meta(description="For matrices: distribution per statement.")
    ] = {}
    comments: Annotated[list[str], Meta(description="For text items: the answers, in random order.")] = []


class FormResults(Wire, kw_only=True):
    """Anonymous results of a form; shown only when enough people responded."""

    module_id: str
    form_id: str
    respondents: int
    min_group_size: int
    shown: Annotated[bool, Meta(description="False while fewer than min_group_size responded.")]
    items: list[ItemSummary]
    group: GroupFilter


class OptionStat(Wire, kw_only=True):
    option_id: str
    text: str
    correct: bool
    chosen_percent: float


class ItemAnalysis(Wire, kw_only=True):
    """How a group did on one knowledge-check item."""

    item_id: str
    prompt: str
    answered: int
    percent_correct: Annotated[float, Meta(description="Share of answers with full credit, 0 to 100.")]
    mean_score: float
    options: Annotated[
        list[OptionStat], Meta(description="Choice items: how often each option was chosen.")
    ] = []
    entries: Annotated[
        dict[str, float], Meta(description="Classify items: percent placed right, per entry id.")
    ] = {}


class FormAnalysis(Wire, kw_only=True):
    """Item analysis of a knowledge check, from each learner's counted attempt."""

    module_id: str
    form_id: str
    learners: int
    items: list[ItemAnalysis]
    group: GroupFilter
