"""Workshop routes: the facilitator opens and runs a live room (scope `workshops:run`, which
facilitator tokens hold), participants join it by code (public, limited per address) and read
its state, and the presenter's screen follows its feed as Server-Sent Events."""

import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import msgspec
import segno
from litestar import Controller, Request, Response, Router, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.content.catalog import Catalog
from api.db import Sessions
from api.errors import BadRequest, problems
from api.identity.auth import Scope, principal_of, requires, requires_any
from api.openapi import DownloadSpec
from api.packets.controllers import provide_packets
from api.packets.layout import Paper
from api.packets.services import PacketService
from api.player.routes import HEADERS
from api.settings import Settings
from api.workshops.guard import JoinGuard
from api.workshops.room import Position, Screen, event_id, parse_event_id
from api.workshops.services import JoinService, ParticipantService, WorkshopService
from api.workshops.wakeups import View, Wakeups
from schemas.feedback import Language
from schemas.progress import SubmitResult
from schemas.workshops import (
    AttendanceConfirm,
    AttendanceResult,
    FeedEvent,
    Joined,
    JoinRequest,
    Newcomer,
    PaperAnswers,
    Participant,
    RoomState,
    StateChange,
    WorkshopOpen,
    WorkshopView,
)

SVG = "image/svg+xml"
PNG = "image/png"
QR_SVG = DownloadSpec(media_type=SVG, label="SVG", description="The join link's QR code, to project.")
QR_PNG = DownloadSpec(media_type=PNG, label="PNG", description="The join link's QR code, to project.")
PERSON_QR = DownloadSpec(
    media_type=SVG, label="SVG", description="The participant's link to their own work, for their packet."
)
PACKETS = DownloadSpec(
    media_type="application/pdf",
    label="PDF participant packet",
    description="The workshop's participant packet (its modules one after another), once for each "
    "participant in the order they joined: a cover with their name, school and their own QR code "
    "with its link under it (the player, opened as them, as `getParticipantQrSvg` gives it), then "
    "the packet's pages, numbered from that cover and footed with their name. In English or "
    "Spanish (`lang`), on US Letter or A4 (`paper`), with the district's name.",
)
STREAM = DownloadSpec(
    media_type="text/event-stream",
    label="Server-Sent Events",
    description="The room's feed, from the start or after `Last-Event-ID`: `event: state` (data: "
    "`FeedEvent` with `state`) when the facilitator moves the room, `event: entry` (data: "
    "`FeedEvent` with the form, its respondents so far and the list entries it adds, without "
    "names, once the form's minimum group has submitted) for each submit in the room. Each event "
    "has an `id`; reconnect with it as `Last-Event-ID` to resume with nothing lost or repeated.",
)
ROOM_STREAM = DownloadSpec(
    media_type="text/event-stream",
    label="Server-Sent Events",
    description="The room's moves only, never anyone's answers: `event: state` (data: `FeedEvent` "
    "with `state`) from the start or after `Last-Event-ID`, then each time the facilitator moves "
    "the room.",
)
_ENCODER = msgspec.json.Encoder()


def provide_workshops(
    request: Request[Any, Any, Any],
    sessions: NamedDependency[Sessions],
    catalog: NamedDependency[Catalog],
    settings: NamedDependency[Settings],
) -> WorkshopService:
    return WorkshopService(sessions, catalog, principal_of(request).district_id, settings.base_url)


def provide_wakeups(state: State) -> Wakeups:
    wakeups: Wakeups = state.workshop_wakeups
    return wakeups


def provide_join_guard(state: State) -> JoinGuard:
    guard: JoinGuard = state.workshop_join_guard
    return guard


def _qr(link: str, kind: str, media_type: str) -> Response[bytes]:
    """The join link's QR code as an image to project (`kind`: segno's `svg` or `png`)."""
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind=kind, scale=10, border=4)
    return Response(out.getvalue(), media_type=media_type)


def _resume(last_event_id: str | None) -> tuple[int, int]:
    if not last_event_id:
        return (0, 0)
    parsed = parse_event_id(last_event_id)
    if parsed is None:
        raise BadRequest("Last-Event-ID is not an id this stream gave; reconnect without it.")
    return parsed


LastEventId = Annotated[
    str | None, HeaderParameter(name="Last-Event-ID", description="Resume after this event.", max_length=60)
]


class WorkshopController(Controller):
    """A facilitator's live workshops."""

    path = "/api/v1/workshops"
    tags = ["workshops"]
    dependencies = {
        "workshops": Provide(provide_workshops, sync_to_thread=False),
        "wakeups": Provide(provide_wakeups, sync_to_thread=False),
        "packets": Provide(provide_packets),
    }

    @post(
        operation_id="openWorkshop",
        summary="Open a live workshop for a room: its join code, join link and state",
        opt=requires(Scope.WORKSHOPS_RUN),
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 409, 413, 415, 422),
    )
    async def open(
        self,
        request: Request[Any, Any, Any],
        workshops: NamedDependency[WorkshopService],
        data: JSONBody[WorkshopOpen],
    ) -> WorkshopView:
        return await workshops.open(data, principal_of(request).caller)

    @get(
        "/{workshop_id:uuid}",
        operation_id="getWorkshop",
        summary="A workshop: its code, link, state and how many joined",
        opt=requires(Scope.WORKSHOPS_RUN),
        responses=problems(400, 401, 403, 404),
    )
    async def get_one(
        self, workshops: NamedDependency[WorkshopService], workshop_id: FromPath[uuid.UUID]
    ) -> WorkshopView:
        return await workshops.get(workshop_id)

    @patch(
        "/{workshop_id:uuid}/state",
        operation_id="moveWorkshop",
        summary="Move the room: its step, whether participants may go ahead, or close it",
        opt=requires(Scope.WORKSHOPS_RUN),
        responses=problems(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def move(
        self,
        workshops: NamedDependency[WorkshopService],
        wakeups: NamedDependency[Wakeups],
        workshop_id: FromPath[uuid.UUID],
        data: JSONBody[StateChange],
    ) -> WorkshopView:
        view = await workshops.change(workshop_id, data)
        wakeups.wake(workshop_id)  # this process's streams at once; others by NOTIFY or reread
        return view

    @get(
        "/{workshop_id:uuid}/room",
        operation_id="getWorkshopRoom",
        summary="Where the room is (for its participants' players and its facilitator)",
        opt=requires_any(Scope.WORKSHOPS_RUN, Scope.LEARNER),
        responses=problems(400, 401, 403, 404),
    )
    async def room(
        self,
        request: Request[Any, Any, Any],
        workshops: NamedDependency[WorkshopService],
        workshop_id: FromPath[uuid.UUID],
    ) -> RoomState:
        principal = principal_of(request)
        runs = Scope.WORKSHOPS_RUN in principal.scopes
        return await workshops.room(workshop_id, None if runs else principal.learner_id)

    @get(
        "/{workshop_id:uuid}/qr.svg",
        operation_id="getWorkshopQrSvg",
        summary="The join link's QR code (SVG)",
        opt={**requires(Scope.WORKSHOPS_RUN), "downloads": (QR_SVG,)},
        media_type=SVG,
        responses=problems(400, 401, 403, 404),
    )
    async def qr_svg(
        self, workshops: NamedDependency[WorkshopService], workshop_id: FromPath[uuid.UUID]
    ) -> Response[bytes]:
        return _qr((await workshops.get(workshop_id)).join_url, "svg", SVG)

    @get(
        "/{workshop_id:uuid}/qr.png",
        operation_id="getWorkshopQrPng",
        summary="The join link's QR code (PNG)",
        opt={**requires(Scope.WORKSHOPS_RUN), "downloads": (QR_PNG,)},
        media_type=PNG,
        responses=problems(400, 401, 403, 404),
    )
    async def qr_png(
        self, workshops: NamedDependency[WorkshopService], workshop_id: FromPath[uuid.UUID]
    ) -> Response[bytes]:
        return _qr((await workshops.get(workshop_id)).join_url, "png", PNG)

    @get(
        "/{workshop_id:uuid}/participants",
        operation_id="listWorkshopParticipants",
        summary="Who joined the room, and whose attendance is confirmed",
        opt=requires(Scope.WORKSHOPS_RUN),
        responses=problems(400, 401, 403, 404),
    )
    async def participants(
        self, workshops: NamedDependency[WorkshopService], workshop_id: FromPath[uuid.UUID]
    ) -> list[Participant]:
        return await workshops.participants(workshop_id)

    @post(
        "/{workshop_id:uuid}/participants",
        operation_id="addWorkshopParticipant",
        summary="List someone in the room ahead of the session, so their own packet can be printed",
        opt=requires(Scope.WORKSHOPS_RUN),
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def add_participant(
        self,
        workshops: NamedDependency[WorkshopService],
        workshop_id: FromPath[uuid.UUID],
        data: JSONBody[Newcomer],
    ) -> Participant:
        """Makes the learner a join by code would make (a new learner of the district, in the
        room). They then come in through the QR code on their packet, not the join code (a join
        would make another learner). A closed or expired workshop is a 409."""
        return await workshops.expect(workshop_id, data)

    @put(
        "/{workshop_id:uuid}/attendance",
        operation_id="confirmWorkshopAttendance",
        summary="Confirm who attended: modules whose rule asks for attendance may complete",
        opt=requires(Scope.WORKSHOPS_RUN),
        responses=problems(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def attendance(
        self,
        workshops: NamedDependency[WorkshopService],
        workshop_id: FromPath[uuid.UUID],
        data: JSONBody[AttendanceConfirm],
    ) -> AttendanceResult:
        """Idempotent: confirming someone again records nothing new. Completions are recorded
        as a submit records them (HR records, `completion.recorded` to webhooks and the LMS)."""
        return await workshops.confirm(workshop_id, data.learner_ids)

    @post(
        "/{workshop_id:uuid}/participants/{learner_id:uuid}/paper",
        operation_id="enterPaperAnswers",
        summary="Enter a participant's answers from paper: scored and recorded as their own submit",
        opt=requires(Scope.WORKSHOPS_RUN),
        status_code=HTTP_200_OK,
        responses=problems(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def paper(
        self,
        workshops: NamedDependency[WorkshopService],
        workshop_id: FromPath[uuid.UUID],
        learner_id: FromPath[uuid.UUID],
        data: JSONBody[PaperAnswers],
    ) -> SubmitResult:
        """Only for a participant of this workshop and a form of its modules; the answers are
        checked and marked as the submit route does (a misfit is a 422 and writes nothing), and a
        completion they bring is recorded and fed out as any other."""
        return await workshops.paper(workshop_id, learner_id, data)

    @get(
        "/{workshop_id:uuid}/participants/{learner_id:uuid}/qr.svg",
        operation_id="getParticipantQrSvg",
        summary="A participant's own QR code, for their printed packet: opens the player as them",
        opt={**requires(Scope.WORKSHOPS_RUN), "downloads": (PERSON_QR,)},
        media_type=SVG,
        responses=problems(400, 401, 403, 404),
    )
    async def person_qr(
        self,
        workshops: NamedDependency[WorkshopService],
        signing_key: NamedDependency[str],
        workshop_id: FromPath[uuid.UUID],
        learner_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """The code holds a learner token of the participant's (until an hour after the
        workshop's code expires): print it on their packet only, as their own key to their work."""
        return _qr(await workshops.paper_link(workshop_id, learner_id, signing_key), "svg", SVG)

    @get(
        "/{workshop_id:uuid}/packets.pdf",
        operation_id="getWorkshopPersonalPackets",
        summary="Each participant's own packet, with their name and QR code on its cover (PDF)",
        opt={**requires(Scope.WORKSHOPS_RUN), "downloads": (PACKETS,)},
        media_type="application/pdf",
        responses=problems(400, 401, 403, 404, 409),
    )
    async def packets(
        self,
        workshops: NamedDependency[WorkshopService],
        packets: NamedDependency[PacketService],
        signing_key: NamedDependency[str],
        workshop_id: FromPath[uuid.UUID],
        lang: Annotated[Language, QueryParameter(description="The packets' language.")] = "en",
        paper: Annotated[Paper, QueryParameter(description="`letter` (the default) or `a4`.")] = "letter",
    ) -> Response[bytes]:
        """For the participants who have joined (each join makes the learner the code opens);
        a workshop no one has joined yet is a 409. Each cover holds a learner token of its
        participant's: hand each packet to its own person."""
        view, people = await workshops.packet_people(workshop_id, signing_key)
        printed = await packets.personal(view.title, view.modules, people, lang, paper)
        headers = {
            "Content-Disposition": f'inline; filename="{printed.filename}"',
            "Content-Language": lang,
            "Cache-Control": "no-store",
        }
        return Response(printed.body, media_type="application/pdf", headers=headers)

    @get(
        "/{workshop_id:uuid}/stream",
        operation_id="streamWorkshop",
        summary="The room's feed as Server-Sent Events, for the presenter's screen",
        opt={**requires(Scope.WORKSHOPS_RUN), "downloads": (STREAM,)},
        media_type="text/event-stream",
        responses=problems(400, 401, 403, 404),
    )
    async def stream(
        self,
        workshops: NamedDependency[WorkshopService],
        wakeups: NamedDependency[Wakeups],
        workshop_id: FromPath[uuid.UUID],
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        resume = _resume(last_event_id)
        view = await workshops.get(workshop_id)
        screen = Screen([entry.module for entry in await workshops.entries(view.modules)])
        return ServerSentEvent(
            _events(wakeups, workshop_id, "screen", _reader(workshops, workshop_id, screen), resume),
            retry_duration=2000,
        )


class Shown(msgspec.Struct, frozen=True):
    """A feed row as the screen shows it: its event's data, or None for a row it skips."""

    position: Position
    kind: str
    data: str | None


def _reader(
    workshops: WorkshopService, workshop_id: uuid.UUID, screen: Screen
) -> Callable[[Position], Awaitable[list[Shown]]]:
    """Reads the feed after a position and decides each row's event, in feed order, once for
    every stream of the workshop in this process (the tail's reader): what a screen shows
    depends only on the rows before it, so one decision serves them all (and every screen in the
    room shows a released list in the same order)."""

    async def read(after: Position) -> list[Shown]:
        shown: list[Shown] = []
        for row in await workshops.feed(workshop_id, after):
            event: FeedEvent | None
            if row.kind == "state":
                event = FeedEvent(state=msgspec.convert(row.state, RoomState))
            else:
                assert row.learner_id and row.module_id and row.form_id
                event = screen.entry(row.learner_id, row.module_id, row.form_id, row.answers or {})
            data = None if event is None else _ENCODER.encode(event).decode()
            shown.append(Shown(position=row.position, kind=row.kind, data=data))
        return shown

    return read


async def _events(
    wakeups: Wakeups,
    workshop_id: uuid.UUID,
    view: View,
    read: Callable[[Position], Awaitable[list[Shown]]],
    resume: Position,
    from_latest: bool = False,
) -> AsyncIterator[ServerSentEventMessage]:
    """Every feed row's event in order, those after `resume` (the ones up to it taught the
    screen what the room has seen, so anonymity holds as it did); then live ones as they
    commit. `from_latest`: start at the last row of the feed as it is now."""
    index = 0
    async with wakeups.follow(workshop_id, view, read) as tail:
        if from_latest:
            await tail.caught_up.wait()
            index = max(len(tail.rows) - 1, 0)
        while True:
            grown = tail.grown
            if tail.error is not None:
                raise tail.error
            rows = tail.rows[index:]
            if not rows:
                await grown.wait()
                continue
            index += len(rows)
            for row in rows:
                if row.data is not None and row.position > resume:
                    yield ServerSentEventMessage(data=row.data, event=row.kind, id=event_id(row.position))


def provide_participant(
    request: Request[Any, Any, Any], sessions: NamedDependency[Sessions], catalog: NamedDependency[Catalog]
) -> ParticipantService:
    principal = principal_of(request)
    assert principal.learner_id is not None  # the routes require the learner scope
    return ParticipantService(sessions, catalog, principal.district_id, principal.learner_id)


class MyWorkshopsController(Controller):
    """A participant's rooms, which their player follows."""

    path = "/api/v1/me/workshops"
    tags = ["workshops"]
    opt = requires(Scope.LEARNER)
    dependencies = {
        "rooms": Provide(provide_participant, sync_to_thread=False),
        "wakeups": Provide(provide_wakeups, sync_to_thread=False),
    }

    @get(
        operation_id="listMyWorkshops",
        summary="The open workshops the learner is in, with where each room is",
        responses=problems(401, 403),
    )
    async def mine(self, rooms: NamedDependency[ParticipantService]) -> list[RoomState]:
        return await rooms.rooms()

    @get(
        "/{workshop_id:uuid}/stream",
        operation_id="streamMyWorkshop",
        summary="The room's moves as Server-Sent Events, for a participant's player",
        opt={"downloads": (ROOM_STREAM,)},
        media_type="text/event-stream",
        responses=problems(400, 401, 403, 404),
    )
    async def stream(
        self,
        rooms: NamedDependency[ParticipantService],
        wakeups: NamedDependency[Wakeups],
        workshop_id: FromPath[uuid.UUID],
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        resume = _resume(last_event_id)
        await rooms.member(workshop_id)
        # From the start, only where the room is now: a player joining late does not replay its path.
        read = _moves(rooms, workshop_id)
        moves = _events(wakeups, workshop_id, "moves", read, resume, from_latest=resume == (0, 0))
        return ServerSentEvent(moves, retry_duration=2000)


def _moves(rooms: ParticipantService, workshop_id: uuid.UUID) -> Callable[[Position], Awaitable[list[Shown]]]:
    """Reads the room's moves after a position (never an entry): the participants' tail's reader."""

    async def read(after: Position) -> list[Shown]:
        return [
            Shown(
                position=row.position,
                kind="state",
                data=_ENCODER.encode(FeedEvent(state=msgspec.convert(row.state, RoomState))).decode(),
            )
            for row in await rooms.moves(workshop_id, after)
        ]

    return read


class JoinController(Controller):
    """Joining a room from a phone (public: anyone with the code)."""

    path = "/workshops/join"
    tags = ["workshops"]
    opt = {"exclude_from_auth": True}
    dependencies = {"guard": Provide(provide_join_guard, sync_to_thread=False)}

    @post(
        operation_id="joinWorkshop",
        summary="Public: join a live workshop with its code, your name and school: a learner token",
        status_code=HTTP_201_CREATED,
        request_max_body_size=4096,
        responses=problems(400, 404, 410, 413, 415, 422, 429),
    )
    async def join(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        catalog: NamedDependency[Catalog],
        signing_key: NamedDependency[str],
        guard: NamedDependency[JoinGuard],
        data: JSONBody[JoinRequest],
    ) -> Joined:
        """Each join makes a new learner of the workshop's district (so their work counts for
        HR like anyone's); the token lasts until an hour after the code expires."""
        await guard.check(request.scope)
        return await JoinService(sessions, catalog).join(data, signing_key)


STATIC = Path(__file__).parent / "static"


def _secure(response: Response[object]) -> Response[object]:
    response.headers.update(HEADERS)
    return response


def workshop_pages() -> Router:
    """`/room/`: the presenter's screen (`index.html`) and the join page (`join.html`)."""
    return create_static_files_router(
        path="/room",
        directories=[STATIC],
        html_mode=True,
        name="room",
        opt={"exclude_from_auth": True},
        after_request=_secure,
        include_in_schema=False,
    )
