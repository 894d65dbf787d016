"""The concerns inbox's routes: read it (`dialogues:read`, or `dialogues:write`), enter a
concern, change a dialogue and add a note (`dialogues:write`), and the figures per school; a
principal's console, its own school's only.

The routes take the feedback card (`card`, for its reasons) from the router that registers
them (api/core.py): the feedback area opens dialogues, so this one does not import it.
"""

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from api.db import Sessions
from api.dialogues.services import Dialogues, Filters
from api.errors import problems
from api.http.params import Limit
from api.identity.auth import SCHOOL_SCOPED, Scope, principal_of, requires, requires_any
from schemas.dialogues import (
    DialogueChange,
    DialogueCreate,
    DialogueNoteCreate,
    DialoguePage,
    DialogueStatus,
    DialogueSummary,
    DialogueView,
)
from schemas.feedback import FeedbackCard

READ = requires_any(Scope.DIALOGUES_READ, Scope.DIALOGUES_WRITE)
WRITE = requires(Scope.DIALOGUES_WRITE)


def provide_dialogues(
    request: Request[Any, Any, Any], sessions: NamedDependency[Sessions], signing_key: NamedDependency[str]
) -> Dialogues:
    principal = principal_of(request)
    return Dialogues(sessions, principal.district_id, signing_key, principal.school)


class DialoguesController(Controller):
    """A district's concerns inbox."""

    path = "/api/v1/dialogues"
    tags = ["dialogues"]
    # A principal reaches only their school's dialogues (the service narrows every query).
    opt = {**READ, SCHOOL_SCOPED: True}
    dependencies = {"dialogues": Provide(provide_dialogues, sync_to_thread=False)}

    @post(
        operation_id="createDialogue",
        summary="Enter a concern taken by phone or in person; it is due in business days",
        opt=WRITE,
        responses=problems(400, 401, 403, 413, 415, 422),
    )
    async def create(
        self,
        dialogues: NamedDependency[Dialogues],
        card: NamedDependency[FeedbackCard],
        data: JSONBody[DialogueCreate],
    ) -> DialogueView:
        """Sends `dialogue.opened`. `reason` is one of the feedback card's reasons; `contact` only
        with the family's consent."""
        return await dialogues.create(data, [option.id for option in card.reason.options])

    @get(
        operation_id="listDialogues",
        summary="The inbox, newest first, filtered, in pages (cursor pagination)",
        responses=problems(400, 401, 403),
    )
    async def list_dialogues(
        self,
        dialogues: NamedDependency[Dialogues],
        school_id: Annotated[
            uuid.UUID | None, QueryParameter(description="Only this school's (its feedback `id`).")
        ] = None,
        status: Annotated[DialogueStatus | None, QueryParameter(description="Only this status.")] = None,
        owner: Annotated[
            str | None, QueryParameter(max_length=320, description="Only those this person owns.")
        ] = None,
        past_due: Annotated[
            bool | None,
            QueryParameter(description="true: only those not closed past their due time; false: the others."),
        ] = None,
        cursor: Annotated[
            str | None, QueryParameter(description="`next_cursor` of the previous page.")
        ] = None,
        limit: Limit = 100,
    ) -> DialoguePage:
        filters = Filters(school_id=school_id, status=status, owner=owner, past_due=past_due)
        return await dialogues.page(filters, cursor, limit)

    @get(
        "/summary",
        operation_id="getDialogueSummary",
        summary="Per school: open and past-due counts, median age in business hours, first-contact "
        "resolution rate",
        responses=problems(401, 403),
    )
    async def summary(self, dialogues: NamedDependency[Dialogues]) -> DialogueSummary:
        return await dialogues.summary()

    @get(
        "/{dialogue_id:uuid}",
        operation_id="getDialogue",
        summary="One dialogue with its notes and its age in business hours",
        responses=problems(401, 403, 404),
    )
    async def get_dialogue(
        self, dialogues: NamedDependency[Dialogues], dialogue_id: FromPath[uuid.UUID]
    ) -> DialogueView:
        return await dialogues.get(dialogue_id)

    @patch(
        "/{dialogue_id:uuid}",
        operation_id="changeDialogue",
        summary="Change a dialogue's status, owner, team or first-contact flag; closing sends "
        "`dialogue.closed`",
        opt=WRITE,
        responses=problems(400, 401, 403, 404, 413, 415, 422),
    )
    async def change(
        self,
        dialogues: NamedDependency[Dialogues],
        dialogue_id: FromPath[uuid.UUID],
        data: JSONBody[DialogueChange],
    ) -> DialogueView:
        return await dialogues.change(dialogue_id, data)

    @post(
        "/{dialogue_id:uuid}/notes",
        operation_id="addDialogueNote",
        summary="Add a note to a dialogue (notes are never changed or removed)",
        opt=WRITE,
        responses=problems(400, 401, 403, 404, 413, 415, 422),
    )
    async def add_note(
        self,
        dialogues: NamedDependency[Dialogues],
        dialogue_id: FromPath[uuid.UUID],
        data: JSONBody[DialogueNoteCreate],
    ) -> DialogueView:
        return await dialogues.add_note(dialogue_id, data)
