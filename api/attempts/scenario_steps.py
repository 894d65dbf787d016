"""Walking a scenario for a learner: the attempt pins the module version, the path is checked
against the graph, and only the node reached (or the ending) is returned."""

import uuid

from api.content.catalog import Catalog, Format, negotiate
from api.content.render import render_html
from api.content.scenarios import PathError, walk
from api.content.views import learner_node
from api.db import Sessions
from api.errors import InvalidInput, NotFound
from api.models import Attempt
from schemas.content import ScenarioItem
from schemas.problem import FieldError
from schemas.scenarios import LearnerScenarioEnding, ScenarioStep


class ScenarioService:
    """One learner's scenario steps, in their district."""

    def __init__(
        self, sessions: Sessions, catalog: Catalog, district_id: uuid.UUID, learner_id: uuid.UUID
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.district_id = district_id
        self.learner_id = learner_id

    async def _pinned(self, attempt_id: uuid.UUID) -> tuple[str, str, str]:
        """(module, version, form) of one of the learner's own attempts."""
        async with self.sessions() as session:
            row = await session.get(Attempt, attempt_id)
            # Another learner's attempt is simply not found: ids never confirm what others did.
            if row is None or row.learner_id != self.learner_id or row.district_id != self.district_id:
                raise NotFound(f"No attempt {attempt_id} of yours.")
            return row.module_id, row.module_version, row.form_id

    async def step(
        self,
        attempt_id: uuid.UUID,
        item_id: str,
        path: list[str],
        lang: str | None,
        accept: str | None,
        fmt: Format,
    ) -> tuple[ScenarioStep, str]:
        """Where `path` arrives in scenario `item_id` of the attempt's form, in the negotiated
        language; with that language. A path that cannot be walked is a 422 naming the step."""
        module_id, version, form_id = await self._pinned(attempt_id)
        entry = await self.catalog.entry(module_id, version)
        locale = negotiate(lang, accept, entry.locales)
        module = self.catalog.localized(entry, locale)
        form = next((f for f in module.forms if f.id == form_id), None)
        item = next((i for i in form.items if i.id == item_id), None) if form else None
        if not isinstance(item, ScenarioItem):
            raise NotFound(f"Form {form_id!r} of this attempt has no scenario {item_id!r}.")
        try:
            arrival = walk(item, path)
        except PathError as exc:
            field = f"$.path[{exc.index}]" if exc.index < len(path) else "$.path"
            raise InvalidInput(
                f"This path cannot be walked in scenario {item_id!r}: {exc.message}",
                errors=[FieldError(field=field, message=exc.message)],
            ) from None
        ending = arrival.ending
        reached = None
        if ending is not None:
            reached = LearnerScenarioEnding(id=ending.id, title=ending.title, text=ending.text)
        step = ScenarioStep(
            item=item.id,
            path=list(path),
            feedback=arrival.last.feedback if arrival.last else None,
            node=learner_node(arrival.node) if arrival.node else None,
            ending=reached,
        )
        return (render_html(step) if fmt == "html" else step), locale
