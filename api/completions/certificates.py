"""Printable PDFs (fpdf2): a certificate of completion per record and a transcript per employee,
in English or Spanish, as a principal would print and file them.

A certificate carries the district (and its logo, when it has one), the course, the module (its
title in the certificate's language), the date written out in that language ("December 3, 2026",
"3 de diciembre de 2026", from the table of month names below rather than the process's locale,
which is shared by every request), a border, the signer from the district's settings (no
signature line when none is set), and the verification code with its address. Dates are the
district's: a completion at 02:00 UTC is the evening before in Chicago. A transcript says when
it was generated and numbers its pages ("Page 2 of 3").

Names come in every script, so the text is set in DejaVu Sans where the machine has it
(Debian's `fonts-dejavu-core`, present wherever Chromium is); without it, fpdf2's built-in
Helvetica covers Latin-1 only and other characters print as `?`."""

import io
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from schemas.admin import DistrictView
from schemas.hr import CompletionRecord, HrTranscript

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")

LANGUAGES: list[str] = ["en", "es"]

MONTHS: dict[str, list[str]] = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}


class Words(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the PDFs say besides the data, in one language."""

    certificate: str
    certifies: str
    employee_id: str
    completed_module: str
    on: str
    credit: str
    code: str
    verify_at: str
    transcript: str
    generated: str
    page: str
    columns: tuple[str, ...]
    status: dict[str, str]
    total: str


WORDS: dict[str, Words] = {
    "en": Words(
        certificate="Certificate of Completion",
        certifies="This certifies that",
        employee_id="Employee ID {id}",
        completed_module="has completed the professional-development module",
        on="on {date}",
        credit="Credit: {minutes} minutes",
        code="Verification code: {code}",
        verify_at="Verify at {url}",
        transcript="Training transcript",
        generated="Generated on {date}",
        page="Page {n} of {total}",
        columns=("Module", "Completed", "Status", "Score", "Minutes", "Certificate"),
        status={"completed": "completed", "voided": "voided"},
        total="Total credit: {minutes} minutes",
    ),
    "es": Words(
        certificate="Certificado de finalización",
        certifies="Se certifica que",
        employee_id="N.º de empleado {id}",
        completed_module="ha completado el módulo de desarrollo profesional",
        on="el {date}",
        credit="Crédito: {minutes} minutos",
        code="Código de verificación: {code}",
        verify_at="Verifíquelo en {url}",
        transcript="Expediente de formación",
        generated="Generado el {date}",
        page="Página {n} de {total}",
        columns=("Módulo", "Completado", "Estado", "Puntuación", "Minutos", "Certificado"),
        status={"completed": "completado", "voided": "anulado"},
        total="Crédito total: {minutes} minutos",
    ),
}


def long_date(day: date, language: str) -> str:
    """`day` written out: "December 3, 2026" in English, "3 de diciembre de 2026" in Spanish."""
    month = MONTHS[language][day.month - 1]
    if language == "es":
        return f"{day.day} de {month} de {day.year}"
    return f"{month} {day.day}, {day.year}"


def local_day(when: datetime, zone: str) -> date:
    """The calendar day `when` fell on in the district's time zone."""
    return when.astimezone(ZoneInfo(zone)).date()


class Document(FPDF):
    """A PDF with the best font at hand: `font()` sets it, `fit()` fits text to it; and, when
    `page_label` is set, "Page N of M" at the foot of every page."""

    def __init__(self, **options: str) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
        self.unicode = regular.exists() and bold.exists()
        if self.unicode:
            self.add_font("DejaVu", "", str(regular))
            self.add_font("DejaVu", "B", str(bold))
        self.page_label = ""

    def font(self, style: str, size: float) -> None:
        self.set_font("DejaVu" if self.unicode else "Helvetica", style, size)

    def fit(self, value: str) -> str:
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        if self.page_label:
            self.set_y(-14)
            self.font("", 9)
            # fpdf2 puts the page count in for its alias once the document is complete.
            label = self.page_label.format(n=self.page_no(), total=self.str_alias_nb_pages)
            self.cell(0, 6, self.fit(label), align="C")


def _minutes(value: float) -> str:
    return f"{value:g}"


def _line(pdf: Document, text: str, size: float, style: str = "", height: float = 10) -> None:
    pdf.font(style, size)
    pdf.cell(0, height, pdf.fit(text), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _signature(pdf: Document, district: DistrictView, y: float) -> None:
    """The signer's line, name and title, centred at `y`; nothing when the district set neither."""
    if not (district.signer_name or district.signer_title):
        return
    width = 90
    pdf.set_line_width(0.3)
    pdf.line((pdf.w - width) / 2, y, (pdf.w + width) / 2, y)
    pdf.set_y(y + 1.5)
    if district.signer_name:
        _line(pdf, district.signer_name, 12, "B", 6)
    if district.signer_title:
        _line(pdf, district.signer_title, 11, "", 6)


def certificate(
    record: CompletionRecord,
    district: DistrictView,
    course: str,
    module: str,
    verify_url: str,
    language: str = "en",
    logo: bytes | None = None,
) -> bytes:
    """A one-page landscape certificate of `record` in `language`: `course` and `module` are the
    titles in that language, `district` the issuer and its settings (name, zone, signer), `logo`
    its image (PNG or JPEG, checked when set), printed above its name."""
    words = WORDS[language]
    pdf = Document(orientation="L", format="Letter")
    pdf.set_title(pdf.fit(f"{words.certificate}: {module}"))
    pdf.set_lang(language)
    pdf.set_creator("Front Office")
    pdf.set_auto_page_break(False)  # one page, whatever the name's length
    pdf.add_page()
    pdf.set_line_width(1.2)
    pdf.rect(9, 9, pdf.w - 18, pdf.h - 18)
    pdf.set_line_width(0.4)
    pdf.rect(12.5, 12.5, pdf.w - 25, pdf.h - 25)
    top = 22.0
    if logo:
        # Fitted into a 70 x 16 mm box, centred: a wide wordmark and a square seal both fit.
        pdf.image(io.BytesIO(logo), x=Align.C, y=17, w=70, h=16, keep_aspect_ratio=True)
        top = 35
    pdf.set_y(top)
    _line(pdf, district.name, 18, "B", 9)
    _line(pdf, course, 13, "", 8)
    pdf.ln(3)
    _line(pdf, words.certificate, 30, "B", 17)
    _line(pdf, words.certifies, 14, "", 9)
    _line(pdf, record.employee.name, 26, "B", 15)
    if record.employee.employee_id:
        _line(pdf, words.employee_id.format(id=record.employee.employee_id), 11, "", 6)
    _line(pdf, words.completed_module, 14, "", 9)
    _line(pdf, module, 20, "B", 13)
    day = local_day(record.outcome.completed_at, district.time_zone)
    _line(pdf, words.on.format(date=long_date(day, language)), 13, "", 8)
    _line(pdf, words.credit.format(minutes=_minutes(record.credit_minutes)), 13, "", 8)
    _signature(pdf, district, pdf.h - 52)
    pdf.set_y(pdf.h - 34)
    _line(pdf, words.code.format(code=record.certificate_id), 12, "B", 7)
    _line(pdf, words.verify_at.format(url=verify_url), 10, "", 6)
    return bytes(pdf.output())


def transcript(
    data: HrTranscript,
    district: DistrictView,
    now: datetime,
    language: str = "en",
    titles: Mapping[str, str] | None = None,
    logo: bytes | None = None,
) -> bytes:
    """The employee's completions as a printable table, dated `now` in the district's zone, its
    pages numbered: `titles` are the modules' titles in `language` by module id (the records'
    own when absent), `logo` the district's image, printed above its name."""
    words = WORDS[language]
    pdf = Document(format="Letter")
    pdf.set_title(pdf.fit(f"{words.transcript}: {data.name}"))
    pdf.set_lang(language)
    pdf.set_creator("Front Office")
    pdf.page_label = words.page
    pdf.add_page()
    if logo:
        # The certificate's box, smaller and at the left: the table starts below it.
        pdf.image(io.BytesIO(logo), x=pdf.l_margin, y=pdf.t_margin, w=50, h=12, keep_aspect_ratio=True)
        pdf.set_y(pdf.t_margin + 14)
    pdf.font("B", 16)
    pdf.cell(0, 10, pdf.fit(f"{district.name}: {words.transcript}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font("", 11)
    who = f"{data.name} ({data.employee_id})" + (f", {data.email}" if data.email else "")
    pdf.cell(0, 8, pdf.fit(who), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    generated = words.generated.format(date=long_date(local_day(now, district.time_zone), language))
    pdf.font("", 9)
    pdf.cell(0, 6, pdf.fit(generated), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    widths = (72, 26, 22, 18, 22, 36)

    def header() -> None:
        pdf.font("B", 10)
        for width, text in zip(widths, words.columns, strict=True):
            pdf.cell(width, 7, pdf.fit(text), border=1)
        pdf.ln()
        pdf.font("", 9)

    header()
    for record in data.records:
        if pdf.will_page_break(7):  # the table's header again at the top of each page
            pdf.add_page()
            header()
        score = record.outcome.score_scaled
        cells = (
            (titles or {}).get(record.module.id, record.module.title)[:48],
            local_day(record.outcome.completed_at, district.time_zone).isoformat(),
            words.status[record.outcome.status],
            "" if score is None else f"{score * 100:.0f}%",
            _minutes(record.credit_minutes),
            record.certificate_id,
        )
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 7, pdf.fit(text), border=1)
        pdf.ln()
    pdf.ln(3)
    pdf.font("B", 11)
    pdf.cell(0, 8, pdf.fit(words.total.format(minutes=_minutes(data.total_credit_minutes))))
    return bytes(pdf.output())
