"""Feedback routes: schools' links and QR cards (`admin`), the figures (`feedback:read`), and
the public page and answer route a family uses without logging in."""

import csv
import io
import re
import secrets
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, MediaType, Request, Response, Router, get, post, put
from litestar.datastructures import CacheControlHeader, Cookie, State
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.content.catalog import negotiate
from api.db import Sessions
from api.errors import Conflict, FrontOfficeError, Gone, NotFound, problems
from api.feedback import cards
from api.feedback.guard import FeedbackGuard
from api.feedback.instrument import card_at, card_labels
from api.feedback.page import ASSETS, HEADERS, feedback_page, unavailable_page
from api.feedback.services import (
    PAGE_PATH,
    SURVEY_PATH,
    Device,
    FeedbackSchools,
    Links,
    PublicFeedback,
    public_link,
    summary,
    summary_rows,
)
from api.feedback.survey_page import TEXT as SURVEY_TEXT
from api.feedback.survey_page import survey_page
from api.identity.auth import SCHOOL_SCOPED, Scope, principal_of, requires, requires_any
from api.measures.instruments import family_survey_at
from api.openapi import DownloadSpec
from api.runtime import Runtime
from api.settings import Settings
from schemas.feedback import (
    LANGUAGES,
    FeedbackAnswer,
    FeedbackCard,
    FeedbackCardLabels,
    FeedbackReceipt,
    FeedbackSchoolCreate,
    FeedbackSchoolView,
    FeedbackSummary,
    InstrumentSwitches,
    Language,
    SummaryRow,
)
from schemas.measures import FamilySurvey, FamilySurveyAnswer

PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
DEVICE_COOKIE = "fo_feedback_device"
_DEVICE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
# A full answer is well under 8 KiB even with every character escaped; a body past this is
# not a family's answer.
ANSWER_MAX_BYTES = 16_384

QR_CARD = DownloadSpec(
    media_type=PDF,
    label="PDF card",
    description="A one-page card for the school's counter (US Letter, portrait), in the language "
    "asked for: the feedback card's title, the school's name, a QR code of the school's feedback "
    "link and the link in words. Served inline as `feedback-card-<school code>-<language>.pdf`.",
)
SURVEY_CARD = DownloadSpec(
    media_type=PDF,
    label="PDF card",
    description="The same card for the school's family survey (US Letter, portrait), in the "
    "language asked for: the survey's title and introduction, the school's name, a QR code of the "
    "school's survey link (`/survey/<token>`) and the link in words. Served inline as "
    "`survey-card-<school code>-<language>.pdf`.",
)
# The family survey's length, as its card tells families.
SURVEY_MINUTES = 3
SUMMARY_CSV = DownloadSpec(
    media_type=CSV,
    label="CSV",
    description="UTF-8 CSV with a header row: for each school, one row over all its answers "
    "(`reason` empty), then one row per reason answered. The columns are the fields of "
    f"`SummaryRow`: {', '.join(SummaryRow.__struct_fields__)} (`score_N`: how many answers gave "
    "N). An empty cell is null (no answers). A school name starting with `=`, `+`, `-`, `@`, a "
    "tab or a carriage return starts with an apostrophe, so that no spreadsheet runs it.",
)

LanguageParam = Annotated[
    Literal["en", "es"], QueryParameter(description="The card's language: `en` or `es`.")
]


def provide_card(settings: NamedDependency[Settings]) -> FeedbackCard:
    return card_at(settings.content_path)


def provide_guard(state: State) -> FeedbackGuard:
    guard: FeedbackGuard = state.feedback_guard
    return guard


def provide_links(state: State) -> Links:
    links: Links = state.feedback_links
    return links


def provide_schools(
    request: Request[Any, Any, Any],
    sessions: NamedDependency[Sessions],
    settings: NamedDependency[Settings],
    links: NamedDependency[Links],
) -> FeedbackSchools:
    return FeedbackSchools(sessions, principal_of(request).district_id, settings.base_url, links)


class PublicDesk(msgspec.Struct, frozen=True):
    """What the public routes use, resolved as one dependency: Litestar resolves the
    dependencies a handler takes side by side in a task group, which cost an answer more than
    its database work."""

    public: PublicFeedback
    guard: FeedbackGuard
    settings: Settings
    survey: FamilySurvey


async def provide_desk(state: State) -> PublicDesk:
    runtime: Runtime = state.runtime
    settings = runtime.settings
    card = card_at(settings.content_path)
    links: Links = state.feedback_links
    public = PublicFeedback(
        runtime.sessions, card, await runtime.token_key.get(), settings.feedback_answers_per_address, links
    )
    return PublicDesk(
        public=public,
        guard=state.feedback_guard,
        settings=settings,
        survey=family_survey_at(settings.content_path),
    )


FEEDBACK_DEPENDENCIES = {
    "card": Provide(provide_card, sync_to_thread=False),
    "guard": Provide(provide_guard, sync_to_thread=False),
    "links": Provide(provide_links, sync_to_thread=False),
    "schools": Provide(provide_schools, sync_to_thread=False),
}


class FeedbackSchoolsController(Controller):
    """Schools' feedback links: register, list, close, and print the counter's QR card."""

    path = "/api/v1/feedback/schools"
    tags = ["feedback"]
    opt = requires(Scope.ADMIN)
    dependencies = FEEDBACK_DEPENDENCIES

    @post(
        operation_id="createFeedbackSchool",
        summary="Give a school a feedback link (a new random token); 409 if the code has one",
        responses=problems(400, 401, 403, 409, 415, 422),
    )
    async def create(
        self, schools: NamedDependency[FeedbackSchools], data: JSONBody[FeedbackSchoolCreate]
    ) -> FeedbackSchoolView:
        return await schools.create(data)

    @get(
        operation_id="listFeedbackSchools",
        summary="The district's schools with feedback links, by code",
        responses=problems(401, 403),
    )
    async def list_schools(self, schools: NamedDependency[FeedbackSchools]) -> list[FeedbackSchoolView]:
        return await schools.list()

    @get(
        "/{school_id:uuid}",
        operation_id="getFeedbackSchool",
        summary="One school's feedback link",
        responses=problems(401, 403, 404),
    )
    async def get_school(
        self, schools: NamedDependency[FeedbackSchools], school_id: FromPath[uuid.UUID]
    ) -> FeedbackSchoolView:
        return await schools.get(school_id)

    @post(
        "/{school_id:uuid}/close",
        operation_id="closeFeedbackSchool",
        summary="Close a school's feedback link for good: it answers 410; its answers are kept",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404),
    )
    async def close(
        self, schools: NamedDependency[FeedbackSchools], school_id: FromPath[uuid.UUID]
    ) -> FeedbackSchoolView:
        return await schools.close(school_id)

    @put(
        "/{school_id:uuid}/instruments",
        operation_id="switchFeedbackSchoolInstruments",
        summary="Switch a school's instruments on or off: the feedback card, exit interviews, and "
        "each secret-shopper channel",
        responses=problems(400, 401, 403, 404, 413, 415, 422),
    )
    async def switch_instruments(
        self,
        schools: NamedDependency[FeedbackSchools],
        school_id: FromPath[uuid.UUID],
        data: JSONBody[InstrumentSwitches],
    ) -> FeedbackSchoolView:
        """Every switch is given (true: on). A switched-off card closes the public page and its
        answers with 409; recording an exit interview or a shopper visit against a switched-off
        instrument is 409 too. Answers and records already made stay."""
        return await schools.switch(school_id, data)

    @get(
        "/{school_id:uuid}/card.pdf",
        operation_id="getFeedbackQrCard",
        summary="The printable QR card for the school's counter (PDF, English or Spanish)",
        media_type=PDF,
        opt={"downloads": (QR_CARD,)},
        responses=problems(400, 401, 403, 404),
    )
    async def qr_card(
        self,
        schools: NamedDependency[FeedbackSchools],
        card: NamedDependency[FeedbackCard],
        school_id: FromPath[uuid.UUID],
        lang: LanguageParam = "en",
    ) -> Response[bytes]:
        school = await schools.get(school_id)
        link = school.link + ("?lang=es" if lang == "es" else "")
        return _pdf(
            cards.qr_card(card.title, card.intro, school.name, link, lang), "feedback-card", school, lang
        )

    @get(
        "/{school_id:uuid}/survey-card.pdf",
        operation_id="getFamilySurveyQrCard",
        summary="The printable QR card of the school's family survey (PDF, English or Spanish)",
        media_type=PDF,
        opt={"downloads": (SURVEY_CARD,)},
        responses=problems(400, 401, 403, 404),
    )
    async def survey_card(
        self,
        schools: NamedDependency[FeedbackSchools],
        settings: NamedDependency[Settings],
        school_id: FromPath[uuid.UUID],
        lang: LanguageParam = "en",
    ) -> Response[bytes]:
        school = await schools.get(school_id)
        survey = family_survey_at(settings.content_path)
        link = public_link(settings.base_url, SURVEY_PATH, school.token) + (
            "?lang=es" if lang == "es" else ""
        )
        body = cards.qr_card(survey.title, survey.intro, school.name, link, lang, SURVEY_MINUTES)
        return _pdf(body, "survey-card", school, lang)


def _pdf(body: bytes, kind: str, school: FeedbackSchoolView, lang: Language) -> Response[bytes]:
    """A school's card, inline, named for its kind, the school's code and the language."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", school.code)[:60]
    return Response(
        body, media_type=PDF, headers={"Content-Disposition": f'inline; filename="{kind}-{name}-{lang}.pdf"'}
    )


class FeedbackFiguresController(Controller):
    """What families said, per school (scope `feedback:read`)."""

    path = "/api/v1/feedback"
    tags = ["feedback"]
    opt = requires(Scope.FEEDBACK_READ)
    dependencies = {"card": Provide(provide_card, sync_to_thread=False)}

    @get(
        "/summary",
        operation_id="getFeedbackSummary",
        summary="Per school: answers counted, mean score, the 0-10 distribution, the share resolved "
        "on that contact, and the same by reason",
        responses=problems(401, 403),
    )
    async def summary(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        card: NamedDependency[FeedbackCard],
    ) -> FeedbackSummary:
        return await summary(sessions, principal_of(request).district_id, card)

    @get(
        "/card",
        operation_id="getFeedbackCardLabels",
        summary="The feedback card's title and reasons (id and label) in English or Spanish",
        # Whoever reads the figures or the inbox names the reasons with it; the empty `scopes`
        # lifts the controller's feedback:read. Content, not district data: a principal reads it.
        opt={**requires_any(Scope.FEEDBACK_READ, Scope.DIALOGUES_READ), "scopes": (), SCHOOL_SCOPED: True},
        responses=problems(400, 401, 403),
    )
    async def labels(
        self, card: NamedDependency[FeedbackCard], lang: LanguageParam = "en"
    ) -> FeedbackCardLabels:
        return card_labels(card, lang)

    @get(
        "/summary.csv",
        operation_id="getFeedbackSummaryCsv",
        summary="The summary as CSV: a row per school, and per school and reason",
        media_type=CSV,
        opt={"downloads": (SUMMARY_CSV,)},
        responses=problems(401, 403),
    )
    async def summary_csv(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        card: NamedDependency[FeedbackCard],
    ) -> Response[str]:
        data = await summary(sessions, principal_of(request).district_id, card)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        fields = SummaryRow.__struct_fields__
        writer.writerow(fields)
        for row in summary_rows(data):
            writer.writerow(_cell(getattr(row, field)) for field in fields)
        return Response(
            out.getvalue(),
            media_type=CSV,
            headers={"Content-Disposition": 'attachment; filename="feedback-summary.csv"'},
        )


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


PUBLIC_ANSWER_RESPONSES = {
    HTTP_200_OK: ResponseSpec(
        data_container=FeedbackReceipt,
        description="Not counted: this device (or address) already answered today; nothing was written.",
        generate_examples=False,
    ),
    **problems(400, 404, 409, 410, 413, 415, 422, 429),
}
"""A family's public answer (card or survey): 201 counted, 200 not counted again, or a problem."""


def _receipt(counted: bool, message: str) -> Response[FeedbackReceipt]:
    """201 for an answer counted, 200 for one this device or address already gave today."""
    receipt = FeedbackReceipt(counted=counted, message=message)
    return Response(receipt, status_code=HTTP_201_CREATED if counted else HTTP_200_OK)


class PublicFeedbackController(Controller):
    """What a family uses, with no login: the page and the answer route. The public routes'
    per-address limit applies, and each school's own limit (FeedbackGuard)."""

    tags = ["feedback"]
    opt = {"exclude_from_auth": True}
    dependencies = {"desk": Provide(provide_desk)}

    @post(
        f"{PAGE_PATH}/{{token:str}}/answers",
        operation_id="answerFeedbackCard",
        summary="Public: a family's answer to a school's feedback card; counted once per device a day",
        status_code=HTTP_201_CREATED,
        request_max_body_size=ANSWER_MAX_BYTES,
        responses=PUBLIC_ANSWER_RESPONSES,
    )
    async def answer(
        self,
        request: Request[Any, Any, Any],
        desk: NamedDependency[PublicDesk],
        token: FromPath[str],
        data: JSONBody[FeedbackAnswer],
    ) -> Response[FeedbackReceipt]:
        """Anonymous unless `contact` is given, with `consent: true`. `website` must be empty."""
        public, guard, card = desk.public, desk.guard, desk.public.card
        school = await public.school(token)
        await guard.check_school(str(school.id))
        counted = await public.answer(token, school, data, _device(request, guard))
        language: Language = data.language
        return _receipt(
            counted,
            card.thanks.in_(language)
            if counted
            else "Thank you: this device already answered for this school today, so this answer "
            "was not counted again.",
        )

    @get(f"{PAGE_PATH}/{{token:str}}", operation_id="feedbackPage", include_in_schema=False)
    async def page(
        self,
        request: Request[Any, Any, Any],
        desk: NamedDependency[PublicDesk],
        token: FromPath[str],
        lang: Annotated[str | None, QueryParameter(max_length=10)] = None,
    ) -> Response[str]:
        """The school's feedback page, in `?lang=` or the browser's language (English or Spanish).
        It gives the device a cookie of its own, so a family behind a shared address counts."""
        public, settings, card = desk.public, desk.settings, desk.public.card
        language = _language(request, lang)
        headers = {**HEADERS, "Content-Language": language, "Vary": "Accept-Language, Cookie"}
        try:
            school = await public.school(token)
        except (NotFound, Gone, Conflict) as exc:
            return _unavailable(exc, language, headers)
        return Response(
            feedback_page(card, school.name, token, language),
            media_type=MediaType.HTML,
            headers=headers,
            cookies=_device_cookie(request, settings),
        )

    @post(
        f"{SURVEY_PATH}/{{token:str}}/answers",
        operation_id="answerFamilySurvey",
        summary="Public: a family's own answers to the family survey; counted once per device a day",
        status_code=HTTP_201_CREATED,
        request_max_body_size=ANSWER_MAX_BYTES,
        responses=PUBLIC_ANSWER_RESPONSES,
    )
    async def answer_survey(
        self,
        request: Request[Any, Any, Any],
        desk: NamedDependency[PublicDesk],
        token: FromPath[str],
        data: JSONBody[FamilySurveyAnswer],
    ) -> Response[FeedbackReceipt]:
        """Anonymous. The school's link is the feedback card's; its survey must be switched on.
        The same limits as the card's answers: the public routes' and the school's, once per
        device per school a day, the address's daily share. `website` must be empty."""
        public, guard = desk.public, desk.guard
        school = await public.survey_school(token)
        await guard.check_school(str(school.id))
        counted = await public.answer_survey(token, school, desk.survey, data, _device(request, guard))
        language: Language = data.language
        return _receipt(counted, SURVEY_TEXT[language]["thanks" if counted else "already"])

    @get(f"{SURVEY_PATH}/{{token:str}}", operation_id="familySurveyPage", include_in_schema=False)
    async def survey_page(
        self,
        request: Request[Any, Any, Any],
        desk: NamedDependency[PublicDesk],
        token: FromPath[str],
        lang: Annotated[str | None, QueryParameter(max_length=10)] = None,
    ) -> Response[str]:
        """The school's family survey, in `?lang=` or the browser's language; it marks the
        device as the card's page does."""
        language = _language(request, lang)
        headers = {**HEADERS, "Content-Language": language, "Vary": "Accept-Language, Cookie"}
        try:
            school = await desk.public.survey_school(token)
        except (NotFound, Gone, Conflict) as exc:
            return _unavailable(exc, language, headers)
        return Response(
            survey_page(desk.survey, school.name, token, language),
            media_type=MediaType.HTML,
            headers=headers,
            cookies=_device_cookie(request, desk.settings),
        )


def _language(request: Request[Any, Any, Any], lang: str | None) -> Language:
    found = negotiate(lang, request.headers.get("accept-language"), list(LANGUAGES))
    return "es" if found == "es" else "en"


def _device(request: Request[Any, Any, Any], guard: FeedbackGuard) -> Device:
    """Who is answering: the device cookie the public pages give (if well formed), and the
    client's address as the public limit names it."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    return Device(
        cookie=cookie if cookie and _DEVICE.match(cookie) else None, address=guard.client(request.scope)
    )


def _device_cookie(request: Request[Any, Any, Any], settings: Settings) -> list[Cookie]:
    """A device cookie of its own for a browser without one, so a family behind a shared
    address counts."""
    if _DEVICE.match(request.cookies.get(DEVICE_COOKIE, "")):
        return []
    return [
        Cookie(
            key=DEVICE_COOKIE,
            value=secrets.token_urlsafe(24),
            max_age=400 * 86400,
            path="/",
            httponly=True,
            samesite="strict",
            secure=settings.base_url.startswith("https://"),
        )
    ]


def _unavailable(exc: FrontOfficeError, language: Language, headers: dict[str, str]) -> Response[str]:
    why: Literal["closed", "missing", "off"] = (
        "closed" if isinstance(exc, Gone) else "off" if isinstance(exc, Conflict) else "missing"
    )
    return Response(
        unavailable_page(language, why), status_code=exc.status, media_type=MediaType.HTML, headers=headers
    )


def feedback_assets() -> Router:
    """The page's script and styles (public; cached for an hour, they change only with a release)."""
    return create_static_files_router(
        path=ASSETS,
        directories=[Path(__file__).parent / "static"],
        name="feedback-assets",
        opt={"exclude_from_auth": True},
        cache_control=CacheControlHeader(max_age=3600, public=True),
        include_in_schema=False,
    )
