"""Printable PDFs: a certificate of completion per record and a transcript per employee
(fpdf2, its built-in Helvetica: text outside Latin-1 is printed with a replacement mark)."""

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from schemas.hr import CompletionRecord, HrTranscript


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _minutes(value: float) -> str:
    return f"{value:g}"


def _line(pdf: FPDF, text: str, size: float, style: str = "", height: float = 10) -> None:
    pdf.set_font("Helvetica", style, size)
    pdf.cell(0, height, _latin1(text), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def certificate(record: CompletionRecord, district: str, verify_url: str) -> bytes:
    """A one-page landscape certificate with the district, employee, module, date, credit and code."""
    pdf = FPDF(orientation="L", format="Letter")
    pdf.set_title(_latin1(f"Certificate of completion: {record.module.title}"))
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
    pdf = FPDF(format="Letter")
    pdf.set_title(_latin1(f"Transcript: {data.name}"))
    pdf.set_creator("Front Office")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(f"{district}: training transcript"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 11)
    who = f"{data.name} (employee {data.employee_id})" + (f", {data.email}" if data.email else "")
    pdf.cell(0, 8, _latin1(who), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    widths = (72, 26, 22, 18, 22, 36)
    header = ("Module", "Completed", "Status", "Score", "Minutes", "Certificate")
    pdf.set_font("Helvetica", "B", 10)
    for width, text in zip(widths, header, strict=True):
        pdf.cell(width, 7, text, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
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
            pdf.cell(width, 7, _latin1(text), border=1)
        pdf.ln()
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 8, f"Total credit: {_minutes(data.total_credit_minutes)} minutes")
    return bytes(pdf.output())
