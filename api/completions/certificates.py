"""Printable PDFs: a certificate of completion per record and a transcript per employee (fpdf2).

Names come in every script, so the text is set in DejaVu Sans where the machine has it
(Debian's `fonts-dejavu-core`, present wherever Chromium is); without it, fpdf2's built-in
Helvetica covers Latin-1 only and other characters print as `?`."""

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from schemas.hr import CompletionRecord, HrTranscript

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


class _Document(FPDF):
    """A PDF with the best font at hand: `font()` sets it, `fit()` fits text to it."""

    def __init__(self, **options: str) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
        self.unicode = regular.exists() and bold.exists()
        if self.unicode:
            self.add_font("DejaVu", "", str(regular))
            self.add_font("DejaVu", "B", str(bold))

    def font(self, style: str, size: float) -> None:
        self.set_font("DejaVu" if self.unicode else "Helvetica", style, size)

    def fit(self, value: str) -> str:
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")


def _minutes(value: float) -> str:
    return f"{value:g}"


def _line(pdf: _Document, text: str, size: float, style: str = "", height: float = 10) -> None:
    pdf.font(style, size)
    pdf.cell(0, height, pdf.fit(text), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def certificate(record: CompletionRecord, district: str, verify_url: str) -> bytes:
    """A one-page landscape certificate with the district, employee, module, date, credit and code."""
    pdf = _Document(orientation="L", format="Letter")
    pdf.set_title(pdf.fit(f"Certificate of completion: {record.module.title}"))
    pdf.set_creator("Front Office")
    pdf.add_page()
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_y(28)
    _line(pdf, district, 18, "B")
    _line(pdf, "Certificate of Completion", 30, "B", 18)
    _line(pdf, "This certifies that", 14)
    _line(pdf, record.employee.name, 26, "B", 16)
    if record.employee.employee_id:
        _line(pdf, f"Employee ID {record.employee.employee_id}", 11, "", 6)
    _line(pdf, "has completed the professional-development module", 14)
    _line(pdf, record.module.title, 20, "B", 14)
    completed = record.outcome.completed_at.date().isoformat()
    _line(pdf, f"Completed on {completed}", 13, "", 9)
    _line(pdf, f"Credit: {_minutes(record.credit_minutes)} minutes", 13, "", 9)
    pdf.set_y(pdf.h - 40)
    _line(pdf, f"Verification code: {record.certificate_id}", 12, "B", 7)
    _line(pdf, f"Verify at {verify_url}", 10, "", 6)
    return bytes(pdf.output())


def transcript(data: HrTranscript, district: str) -> bytes:
    """The employee's completions as a printable table."""
    pdf = _Document(format="Letter")
    pdf.set_title(pdf.fit(f"Transcript: {data.name}"))
    pdf.set_creator("Front Office")
    pdf.add_page()
    pdf.font("B", 16)
    pdf.cell(0, 10, pdf.fit(f"{district}: training transcript"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font("", 11)
    who = f"{data.name} (employee {data.employee_id})" + (f", {data.email}" if data.email else "")
    pdf.cell(0, 8, pdf.fit(who), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    widths = (72, 26, 22, 18, 22, 36)
    header = ("Module", "Completed", "Status", "Score", "Minutes", "Certificate")
    pdf.font("B", 10)
    for width, text in zip(widths, header, strict=True):
        pdf.cell(width, 7, text, border=1)
    pdf.ln()
    pdf.font("", 9)
    for record in data.records:
        score = record.outcome.score_scaled
        cells = (
            record.module.title[:48],
            record.outcome.completed_at.date().isoformat(),
            record.outcome.status,
            "" if score is None else f"{score * 100:.0f}%",
            _minutes(record.credit_minutes),
            record.certificate_id,
        )
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 7, pdf.fit(text), border=1)
        pdf.ln()
    pdf.ln(3)
    pdf.font("B", 11)
    pdf.cell(0, 8, f"Total credit: {_minutes(data.total_credit_minutes)} minutes")
    return bytes(pdf.output())
