"""Completion routes: HR's records (pages, changes feed, exports, transcripts, certificates),
voiding one, a learner's own transcript and certificates, and the public certificate check."""

import re
import uuid
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Any, Literal, cast

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.response.base import ASGIResponse
from litestar.status_codes import HTTP_200_OK, HTTP_404_NOT_FOUND

from api.admin.audit import audit
from api.admin.services import district_zone
from api.completions import certificates as pdf
from api.completions import verify_page
from api.completions.export import Export
from api.completions.records import Filters, Period, module_infos
from api.completions.services import CompletionService, learner_transcript, verify
from api.completions.void import void_completion
from api.content.catalog import Catalog, negotiate
from api.db import Sessions
from api.errors import BadRequest, Conflict, NotFound, problems
from api.http.params import Limit, is_plain_date, moment, moment_query
from api.identity.auth import SCHOOL_SCOPED, Principal, Scope, principal_of, requires
from api.identity.tokens import TokenKey
from api.openapi import DownloadSpec
from api.runtime import Runtime
from api.settings import Settings
from schemas.hr import (
    ChangesPage,
    CompletionPage,
    CompletionRecord,
    ExportRow,
    HrTranscript,
    Verification,
)
from schemas.progress import CompletionView, Transcript, VoidRequest

CSV = "text/csv; charset=utf-8"
# What the response is given: Litestar adds `; charset=utf-8` to every text/ type itself (given
# CSV, it sent the charset twice).
CSV_BARE = "text/csv"
NDJSON = "application/x-ndjson"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"

CSV_EXPORT = DownloadSpec(
    media_type=CSV,
    label="CSV",
    description="UTF-8 CSV: a header row, then one row per completion record, oldest completion "
    "first. The columns, in this order, are the fields of `ExportRow` (which says what each "
    f"holds): {', '.join(ExportRow.__struct_fields__)}. Times are ISO 8601 in UTC "
    "(`2026-09-01T08:00:00Z`), booleans `true` or `false`, and an empty cell is null. A text "
    "cell that would start with `=`, `+`, `-`, `@`, a tab or a carriage return starts with an "
    "apostrophe instead, so that no spreadsheet runs it as a formula.",
)
NDJSON_EXPORT = DownloadSpec(
    media_type=NDJSON,
    label="NDJSON",
    description="One JSON object per line, an `ExportRow` for each completion record, oldest "
    "completion first: the CSV's columns as fields, with numbers as numbers, `passed` a boolean "
    "and null for none. An empty body when no record matches.",
    lines=ExportRow,
)
XLSX_EXPORT = DownloadSpec(
    media_type=XLSX,
    label="Excel workbook",
    description="An Excel workbook (.xlsx) for people: one sheet, a frozen header row in plain "
    "English (Employee ID, Name, …, Score, …, Completed (America/Chicago), …), one row per "
    "completion record, oldest completion first; every field of `ExportRow`. Dates are date "
    "cells in the district's time zone (its `time_zone` setting, named in the headers), shown "
    "`YYYY-MM-DD HH:MM`; the score is a percentage cell (0.93 shown as 93%); points, attempts "
    "and minutes are numbers; passed is Yes or No; text is always text, never a formula.",
)
CERTIFICATE = DownloadSpec(
    media_type=PDF,
    label="PDF certificate",
    description="A one-page certificate of completion (US Letter, landscape, bordered), in "
    "English or Spanish (`lang`, else Accept-Language; `Content-Language` says which): the "
    "district (and its logo, when set), the course, the employee's name and employee id, the "
    "module's title in that language, the date completed written out in it (`December 3, "
    "2026`, `3 de diciembre de 2026`) in the district's time zone, the credit in minutes, a "
    "signature line with the signer's name and title from the district's settings (none when "
    "neither is set), and the verification code with the address that checks it "
    "(`<base URL>/verify/{code}`). Served inline as `certificate-<code>.pdf`.",
)
TRANSCRIPT = DownloadSpec(
    media_type=PDF,
    label="PDF transcript",
    description="The employee's training transcript (US Letter), in English or Spanish (`lang`, "
    "else Accept-Language): the district, the employee's name, employee id and email, the date "
    "it was generated (in the district's time zone), a table of every completion record "
    "(module, date completed in the district's time zone, status, score, credit minutes, "
    "certificate code) and the total credit in minutes; every page numbered `Page N of M`. "
    "Served inline as `transcript-<employee id>.pdf`.",
)

Lang = Annotated[
    str | None,
    QueryParameter(
        description="The PDF's language, `en` or `es`; without it, the best of Accept-Language "
        "(English when neither is asked for or another is).",
        max_length=10,
    ),
]
Text = Annotated[str, QueryParameter(description="Narrow to this value; empty: all.", max_length=200)]


async def provide_completions(
    request: Request[Any, Any, Any],
    sessions: NamedDependency[Sessions],
    catalog: NamedDependency[Catalog],
    token_key: NamedDependency[TokenKey],
    settings: NamedDependency[Settings],
) -> CompletionService:
    principal = principal_of(request)
    return CompletionService(
        sessions,
        catalog,
        principal.district_id,
        principal.key_id,
        await token_key.get(),
        postgres=not settings.is_sqlite,
        actor=principal.actor,
    )


async def provide_period(
    request: Request[Any, Any, Any],
    sessions: NamedDependency[Sessions],
    completed_from: Annotated[str | None, moment_query("from", "Completed at or after")] = None,
    completed_to: Annotated[str | None, moment_query("to", "Completed before")] = None,
) -> Period:
    """The `from` and `to` of a listing, an export or a summary (a plain date is midnight in the
    district's time zone); `from` after `to` is a 400."""
    zone: tzinfo = UTC
    if is_plain_date(completed_from) or is_plain_date(completed_to):  # only then is the zone read
        async with sessions() as session:
            zone = await district_zone(session, principal_of(request).district_id)
    start, end = moment(completed_from, "from", zone), moment(completed_to, "to", zone)
    if start and end and start > end:
        raise BadRequest("`from` is after `to`; swap them or drop one.")
    return Period(start, end)


async def provide_filters(
    request: Request[Any, Any, Any],
    period: NamedDependency[Period],
    module: Text = "",
    school: Annotated[str, QueryParameter(description="School code.", max_length=200)] = "",
    role: Annotated[str, QueryParameter(description="Job role code.", max_length=200)] = "",
    employee: Annotated[str, QueryParameter(description="Employee id.", max_length=200)] = "",
    status: Annotated[
        Literal["completed", "voided"] | None, QueryParameter(description="Record status.")
    ] = None,
) -> Filters:
    """The filters every listing and export takes."""
    return Filters(
        completed_from=period.start,
        completed_to=period.end,
        module=module,
        school=principal_of(request).school_filter(school),
        role=role,
        employee=employee,
        status=status or "",
    )


class Download(Stream):
    """A streamed body whose own media type wins over the route's (Litestar's `Stream` lets the
    route's win, and the export route negotiates CSV or NDJSON per request)."""

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIResponse:
        kwargs["media_type"] = self.media_type or kwargs.get("media_type")
        return super().to_asgi_response(*args, **kwargs)


PERIOD = {"period": Provide(provide_period)}
RECORDS_DEPENDENCIES = {
    "records": Provide(provide_completions),
    "filters": Provide(provide_filters),
    **PERIOD,
}


def _safe(name: str) -> str:
    """A name fit for a Content-Disposition filename."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80]


def _disposition(name: str, kind: str = "attachment") -> dict[str, str]:
    return {"Content-Disposition": f'{kind}; filename="{name}"'}


class CompletionRecordsController(Controller):
    """Completion records for HR (scope `hr:read`); every pull is written to the audit log."""

    path = "/api/v1"
    tags = ["hr"]
    opt = requires(Scope.HR_READ)
    dependencies = RECORDS_DEPENDENCIES

    @get(
        "/completions",
        operation_id="listCompletionRecords",
        opt={SCHOOL_SCOPED: True},
        summary="Completion records, filtered, in pages (cursor pagination)",
        responses=problems(400, 401, 403),
    )
    async def list_records(
        self,
        records: NamedDependency[CompletionService],
        filters: NamedDependency[Filters],
        cursor: Annotated[
            str | None, QueryParameter(description="`next_cursor` of the previous page.")
        ] = None,
        limit: Limit = 100,
    ) -> CompletionPage:
        return await records.page(filters, cursor, limit)

    @get(
        "/completions/changes",
        operation_id="listCompletionChanges",
        summary="Incremental sync: every record created or changed since the cursor",
        responses=problems(400, 401, 403),
    )
    async def changes(
        self,
        records: NamedDependency[CompletionService],
        cursor: Annotated[str | None, QueryParameter(description="`next_cursor` of the last pull.")] = None,
        limit: Limit = 500,
    ) -> ChangesPage:
        """Pull until `has_more` is false, keep `next_cursor`, pull again later from it: no
        change is missed or repeated, even while records are being written."""
        return await records.changes(cursor, limit)

    async def _export(
        self, request: Request[Any, Any, Any], runtime: Runtime, filters: Filters, fmt: str
    ) -> Stream:
        principal: Principal = principal_of(request)
        modules = await module_infos(runtime.sessions, runtime.catalog)

        zone = None
        if fmt == "xlsx":
            async with runtime.sessions() as session:
                zone = await district_zone(session, principal.district_id)

        async def done(rows: int, finished: bool) -> None:
            action = f"export.{fmt}" + ("" if finished else ".interrupted")
            await audit(
                runtime.sessions,
                principal.district_id,
                principal.key_id,
                action,
                filters.as_dict(),
                rows,
                actor=principal.actor,
            )

        export = Export(runtime.engine, principal.district_id, filters, modules, fmt, done, zone)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        return Download(
            export.chunks(),
            media_type={"csv": CSV_BARE, "xlsx": XLSX}.get(fmt, NDJSON),
            headers=_disposition(f"completions-{stamp}.{fmt}"),
        )

    @get(
        "/completions/export",
        operation_id="exportCompletionRecords",
        summary="Download the filtered records as CSV, NDJSON or an Excel workbook (chosen by Accept; "
        "CSV by default)",
        media_type=CSV,
        opt={"downloads": (CSV_EXPORT, NDJSON_EXPORT, XLSX_EXPORT), SCHOOL_SCOPED: True},
        responses=problems(400, 401, 403),
    )
    async def export(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        filters: NamedDependency[Filters],
    ) -> Stream:
        best = request.accept.best_match([CSV_BARE, NDJSON, XLSX], default=CSV_BARE)
        fmt = {NDJSON: "ndjson", XLSX: "xlsx"}.get(best or "", "csv")
        return await self._export(request, runtime, filters, fmt)

    @get(
        "/completions/export.csv",
        operation_id="exportCompletionRecordsCsv",
        summary="Download the filtered records as CSV (UTF-8, header row, formula cells escaped)",
        media_type=CSV,
        opt={"downloads": (CSV_EXPORT,), SCHOOL_SCOPED: True},
        responses=problems(400, 401, 403),
    )
    async def export_csv(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        filters: NamedDependency[Filters],
    ) -> Stream:
        return await self._export(request, runtime, filters, "csv")

    @get(
        "/completions/export.ndjson",
        operation_id="exportCompletionRecordsNdjson",
        summary="Download the filtered records as NDJSON (one JSON object per line)",
        media_type=NDJSON,
        opt={"downloads": (NDJSON_EXPORT,), SCHOOL_SCOPED: True},
        responses=problems(400, 401, 403),
    )
    async def export_ndjson(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        filters: NamedDependency[Filters],
    ) -> Stream:
        return await self._export(request, runtime, filters, "ndjson")

    @get(
        "/completions/export.xlsx",
        operation_id="exportCompletionRecordsXlsx",
        summary="Download the filtered records as an Excel workbook (dates in the district's zone)",
        media_type=XLSX,
        opt={"downloads": (XLSX_EXPORT,), SCHOOL_SCOPED: True},
        responses=problems(400, 401, 403),
    )
    async def export_xlsx(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        filters: NamedDependency[Filters],
    ) -> Stream:
        return await self._export(request, runtime, filters, "xlsx")

    @get(
        "/completions/{completion_id:uuid}",
        operation_id="getCompletionRecord",
        summary="One completion record",
        responses=problems(401, 403, 404),
    )
    async def record(
        self, records: NamedDependency[CompletionService], completion_id: FromPath[uuid.UUID]
    ) -> CompletionRecord:
        return await records.record(completion_id)

    @get(
        "/completions/{completion_id:uuid}/certificate",
        operation_id="getCompletionCertificate",
        summary="The certificate of completion of a record (PDF)",
        media_type=PDF,
        opt={"downloads": (CERTIFICATE,)},
        responses=problems(401, 403, 404, 409),
    )
    async def certificate(
        self,
        request: Request[Any, Any, Any],
        records: NamedDependency[CompletionService],
        settings: NamedDependency[Settings],
        completion_id: FromPath[uuid.UUID],
        lang: Lang = None,
    ) -> Response[bytes]:
        return await _certificate(request, records, settings, completion_id, None, lang)

    @get(
        "/employees/{employee_id:str}/transcript",
        operation_id="getEmployeeTranscript",
        summary="An employee's transcript: every record and total credit",
        responses=problems(401, 403, 404),
    )
    async def transcript(
        self, records: NamedDependency[CompletionService], employee_id: FromPath[str]
    ) -> HrTranscript:
        return await records.transcript(employee_id)

    @get(
        "/employees/{employee_id:str}/transcript.pdf",
        operation_id="getEmployeeTranscriptPdf",
        summary="An employee's transcript, printable (PDF)",
        media_type=PDF,
        opt={"downloads": (TRANSCRIPT,)},
        responses=problems(401, 403, 404),
    )
    async def transcript_pdf(
        self,
        request: Request[Any, Any, Any],
        records: NamedDependency[CompletionService],
        employee_id: FromPath[str],
        lang: Lang = None,
    ) -> Response[bytes]:
        language = _language(request, lang)
        data = await records.transcript(employee_id)
        district, logo = await records.district()
        titles = await records.module_titles(data.records, language)
        body = pdf.transcript(data, district, datetime.now(UTC), language, titles, logo)
        headers = {
            **_disposition(f"transcript-{_safe(employee_id)}.pdf", "inline"),
            "Content-Language": language,
            "Vary": "Accept-Language",
        }
        return Response(body, media_type=PDF, headers=headers)


def _language(request: Request[Any, Any, Any], lang: str | None) -> str:
    return negotiate(lang, request.headers.get("accept-language"), pdf.LANGUAGES)


async def _certificate(
    request: Request[Any, Any, Any],
    records: CompletionService,
    settings: Settings,
    completion_id: uuid.UUID,
    learner_id: uuid.UUID | None,
    lang: str | None,
) -> Response[bytes]:
    record = await records.record(completion_id, learner_id)
    if record.outcome.status == "voided":
        raise Conflict("This completion has been voided; it has no certificate.")
    language = _language(request, lang)
    course, module = await records.titles(record, language)
    # The address people reach the service at (FRONTOFFICE_BASE_URL, resolved once in Settings),
    # never the request's Host, which a caller chooses.
    verify_url = f"{settings.base_url.rstrip('/')}/verify/{record.certificate_id}"
    district, logo = await records.district()
    body = pdf.certificate(record, district, course, module, verify_url, language, logo)
    headers = {
        **_disposition(f"certificate-{record.certificate_id}.pdf", "inline"),
        "Content-Language": language,
        "Vary": "Accept-Language",
    }
    return Response(body, media_type=PDF, headers=headers)


class MyCertificateController(Controller):
    path = "/api/v1/me/completions"
    tags = ["progress"]
    opt = requires(Scope.LEARNER)
    dependencies = {"records": Provide(provide_completions)}

    @get(
        "/{completion_id:uuid}/certificate",
        operation_id="getMyCertificate",
        summary="The learner's own certificate of completion (PDF)",
        media_type=PDF,
        opt={"downloads": (CERTIFICATE,)},
        responses=problems(401, 403, 404, 409),
    )
    async def certificate(
        self,
        request: Request[Any, Any, Any],
        records: NamedDependency[CompletionService],
        settings: NamedDependency[Settings],
        completion_id: FromPath[uuid.UUID],
        lang: Lang = None,
    ) -> Response[bytes]:
        learner_id = principal_of(request).learner_id
        return await _certificate(request, records, settings, completion_id, learner_id, lang)


class VerifyController(Controller):
    tags = ["hr"]
    opt = {"exclude_from_auth": True}

    @get(
        "/verify/{code:str}",
        operation_id="verifyCertificate",
        summary="Public: whether a certificate's verification code is valid, and for whom",
        responses=problems(404),
    )
    async def verify(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        catalog: NamedDependency[Catalog],
        code: FromPath[str],
    ) -> Response[Verification]:
        # A person clicking the address on a certificate gets a page; a program (any client that
        # does not put HTML first) the JSON, as before.
        wanted = request.accept.best_match([MediaType.JSON, MediaType.HTML], default=MediaType.JSON)
        if wanted != MediaType.HTML:
            return Response(await verify(sessions, catalog, code), headers={"Vary": "Accept"})
        language = negotiate(None, request.headers.get("accept-language"), verify_page.LANGUAGES)
        try:
            result: Verification | None = await verify(sessions, catalog, code, language)
        except NotFound:
            result = None
        body = verify_page.page(result, code, language, (await catalog.course()).title)
        page = Response(
            body,
            media_type=MediaType.HTML,
            status_code=HTTP_404_NOT_FOUND if result is None else HTTP_200_OK,
            headers={**verify_page.HEADERS, "Content-Language": language},
        )
        return cast("Response[Verification]", page)  # the document describes the JSON answer


class CompletionAdminController(Controller):
    path = "/api/v1/completions"
    tags = ["completions"]
    opt = requires(Scope.ADMIN)

    @post(
        "/{completion_id:uuid}/void",
        operation_id="voidCompletion",
        summary="Void a completion with a reason (it is kept, never deleted)",
        status_code=HTTP_200_OK,
        responses=problems(400, 401, 403, 404, 409, 413, 415),
    )
    async def void(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        completion_id: FromPath[uuid.UUID],
        data: JSONBody[VoidRequest],
    ) -> CompletionView:
        principal = principal_of(request)
        return await void_completion(
            sessions, principal.district_id, completion_id, data.reason, principal.key_id
        )


class MyTranscriptController(Controller):
    path = "/api/v1/me"
    tags = ["progress"]
    opt = requires(Scope.LEARNER)

    @get(
        "/transcript",
        operation_id="getMyTranscript",
        summary="Every completion and total credit",
        responses=problems(401, 403, 404),
    )
    async def transcript(
        self, request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]
    ) -> Transcript:
        learner_id = principal_of(request).learner_id
        assert learner_id is not None  # the learner scope holds one
        return await learner_transcript(sessions, learner_id)
