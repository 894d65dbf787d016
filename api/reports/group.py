"""The group's view of a form: what a district, school, role or cohort named, said and got
right. Only submitted work counts; nothing here names a learner."""

import random
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import select

from api.attempts.lists import combine_lists
from api.attempts.rules import counted_attempt
from api.attempts.scoring import is_scorable, score_item
from api.content.catalog import Catalog
from api.db import Sessions
from api.errors import NotFound
from api.models import Attempt, Learner
from schemas.content import ChoiceItem, ClassifyItem, ExtendedTextItem, Form, ListItem, MatrixItem, RatingItem
from schemas.reports import (
    CombinedList,
    FormAnalysis,
    FormResults,
    GroupFilter,
    ItemAnalysis,
    ItemSummary,
    OptionStat,
    ScaleCount,
)


class GroupService:
    def __init__(
        self,
        sessions: Sessions,
        catalog: Catalog,
        district_id: uuid.UUID,
        group: GroupFilter,
        *,
        for_learner: bool = False,
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.district_id = district_id
        self.group = group
        self.for_learner = for_learner
        """A learner sees a group's answers only once the form's minimum group responded."""

    async def _form(self, module_id: str, form_id: str) -> Form:
        module = (await self.catalog.entry(module_id)).module
        form = next((f for f in module.forms if f.id == form_id), None)
        if form is None:
            raise NotFound(f"Module {module_id!r} has no form {form_id!r}.")
        return form

    async def _submitted(self, module_id: str, form_id: str) -> list[Attempt]:
        query = (
            select(Attempt)
            .join(Learner, Learner.id == Attempt.learner_id)
            .where(
                Attempt.district_id == self.district_id,
                Attempt.module_id == module_id,
                Attempt.form_id == form_id,
                Attempt.status == "submitted",
            )
            .order_by(Attempt.submitted_at)
        )
        if self.group.school:
            query = query.where(Learner.school == self.group.school)
        if self.group.role:
            query = query.where(Learner.role == self.group.role)
        if self.group.cohort:
            query = query.where(Attempt.cohort == self.group.cohort)
        async with self.sessions() as session:
            return list((await session.execute(query)).scalars())

    @staticmethod
    def _latest_per_learner(rows: list[Attempt]) -> list[Attempt]:
        latest: dict[uuid.UUID, Attempt] = {}
        for row in rows:
            latest[row.learner_id] = row
        return list(latest.values())

    async def combined_list(self, module_id: str, form_id: str, item_id: str) -> CombinedList:
        form = await self._form(module_id, form_id)
        item = next((i for i in form.items if i.id == item_id), None)
        if not isinstance(item, ListItem):
            raise NotFound(f"Form {form_id!r} has no list item {item_id!r}.")
        rows = self._latest_per_learner(await self._submitted(module_id, form_id))
        minimum = form.policy.min_group_size
        # A facilitator runs the room's flipchart from it; a learner narrowing the group to a
        # school and role must not be able to read one colleague's list.
        shown = not self.for_learner or len(rows) >= minimum
        lists = [list(r.answers.get(item_id) or []) for r in rows] if shown else []
        return CombinedList(
            module_id=module_id,
            form_id=form_id,
            item_id=item_id,
            respondents=len(rows),
            entries=combine_lists(item, lists) if shown else [],
            group=self.group,
            min_group_size=minimum,
            shown=shown,
        )

    async def results(self, module_id: str, form_id: str) -> FormResults:
        form = await self._form(module_id, form_id)
        rows = self._latest_per_learner(await self._submitted(module_id, form_id))
        minimum = form.policy.min_group_size
        shown = len(rows) >= minimum
        items = [self._summary(item, [r.answers for r in rows]) for item in form.items] if shown else []
        return FormResults(
            module_id=module_id,
            form_id=form_id,
            respondents=len(rows),
            min_group_size=minimum,
            shown=shown,
            items=[i for i in items if i is not None],
            group=self.group,
        )

    @staticmethod
    def _summary(item: Any, answers: list[dict[str, Any]]) -> ItemSummary | None:
        if isinstance(item, RatingItem):
            counts = Counter(a.get(item.id) for a in answers)
            labels = {label.value: label.label for label in item.scale.labels}
            return ItemSummary(
                item_id=item.id,
                prompt=item.prompt,
                distribution=[
                    ScaleCount(value=v, label=labels.get(v, str(v)), count=counts.get(v, 0))
                    for v in range(item.scale.min, item.scale.max + 1)
                ],
            )
        if isinstance(item, MatrixItem):
            labels = {label.value: label.label for label in item.scale.labels}
            return ItemSummary(
                item_id=item.id,
                prompt=item.prompt,
                statements={
                    statement.id: [
                        ScaleCount(
                            value=v,
                            label=labels.get(v, str(v)),
                            count=sum(1 for a in answers if (a.get(item.id) or {}).get(statement.id) == v),
                        )
                        for v in range(item.scale.min, item.scale.max + 1)
                    ]
                    for statement in item.statements
                },
            )
        if isinstance(item, ExtendedTextItem):
            comments = [str(a[item.id]).strip() for a in answers if str(a.get(item.id) or "").strip()]
            random.shuffle(comments)  # order would hint at who wrote what
            return ItemSummary(item_id=item.id, prompt=item.prompt, comments=comments)
        return None

    async def analysis(self, module_id: str, form_id: str) -> FormAnalysis:
        form = await self._form(module_id, form_id)
        # A text answer in any of the module's languages counts (exactly; typos in English), as
        # a learner's own marks do: the item's share right must not drop with each Spanish answer.
        marking = {
            item.id: item
            for item in self.catalog.scoring_form(await self.catalog.entry(module_id), form).items
        }
        rows = await self._submitted(module_id, form_id)
        # Each learner's counted attempt, as the form's policy counts it.
        by_learner: dict[uuid.UUID, list[Attempt]] = {}
        for row in rows:
            by_learner.setdefault(row.learner_id, []).append(row)
        chosen = [counted_attempt(a, form.policy.attempts.counted) for a in by_learner.values()]
        items: list[ItemAnalysis] = []
        for item in form.items:
            if not is_scorable(item):
                continue
            answers: list[Any] = [r.answers[item.id] for r in chosen if r.answers.get(item.id) is not None]
            scores = [score_item(marking[item.id], answer) for answer in answers]
            n = len(answers)
            analysis = ItemAnalysis(
                item_id=item.id,
                prompt=item.prompt,
                answered=n,
                percent_correct=round(100 * sum(1 for _, full in scores if full) / n, 1) if n else 0.0,
                mean_score=round(sum(s for s, _ in scores) / n, 3) if n else 0.0,
            )
            if isinstance(item, ChoiceItem):
                analysis.options = [
                    OptionStat(
                        option_id=o.id,
                        text=o.text,
                        correct=o.correct,
                        chosen_percent=round(100 * sum(1 for a in answers if o.id in a) / n, 1) if n else 0.0,
                    )
                    for o in item.options
                ]
            if isinstance(item, ClassifyItem):
                analysis.entries = {
                    e.id: round(100 * sum(1 for a in answers if a.get(e.id) == e.category) / n, 1)
                    if n
                    else 0.0
                    for e in item.entries
                }
            items.append(analysis)
        return FormAnalysis(
            module_id=module_id, form_id=form_id, learners=len(chosen), items=items, group=self.group
        )
