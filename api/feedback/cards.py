"""The printable cards for a school's counter (fpdf2), one for each public instrument (the
feedback card, the family survey): its title, the school, a QR code of the school's link drawn
as vector squares (segno makes the matrix; no image library), and the link in words for those
who type it.

Set in DejaVu Sans where the machine has it (Debian's `fonts-dejavu-core`), as certificates are;
without it, fpdf2's built-in Helvetica, which covers the Latin-1 of English and Spanish."""

from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from schemas.feedback import Language, Localized

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")

_TEXT = {
    "en": {
        "scan": "Scan with your phone's camera",
        "or": "or open",
        "minute": "It takes about a minute.",
        "minutes": "It takes about {n} minutes.",
    },
    "es": {
        "scan": "Escanee con la cámara de su teléfono",
        "or": "o abra",
        "minute": "Toma alrededor de un minuto.",
        "minutes": "Toma unos {n} minutos.",
    },
}


class _Card(FPDF):
    def __init__(self) -> None:
        super().__init__(format="Letter")
        regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
        self.unicode = regular.exists() and bold.exists()
        if self.unicode:
            self.add_font("DejaVu", "", str(regular))
            self.add_font("DejaVu", "B", str(bold))

    def line_of(self, text: str, size: float, style: str = "", height: float = 10) -> None:
        self.set_font("DejaVu" if self.unicode else "Helvetica", style, size)
        fitted = text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")
        self.multi_cell(0, height, fitted, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def qr_card(
    title: Localized, intro: Localized, school: str, link: str, language: Language, minutes: int = 1
) -> bytes:
    """A one-page card (US Letter, portrait) asking families to answer the instrument of
    `title` and `intro` (about `minutes` long), with the link's QR code."""
    text = _TEXT[language]
    pdf = _Card()
    pdf.set_title(f"{title.in_(language)} {school}")
    pdf.set_creator("Front Office")
    pdf.set_lang(language)
    pdf.add_page()
    pdf.set_y(22)
    pdf.line_of(title.in_(language), 30, "B", 14)
    pdf.line_of(school, 18, "", 10)
    pdf.ln(4)
    pdf.line_of(text["scan"], 15, "", 8)
    qr = segno.make(link, error="m")
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=4)]
    side = 110.0  # mm: scans from arm's length, with a quiet zone of four modules
    cell = side / len(rows)
    left, top = (pdf.w - side) / 2, pdf.get_y() + 4
    pdf.set_fill_color(0, 0, 0)
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            pdf.rect(left + start * cell, top + y * cell, (x - start) * cell, cell, style="F")
    pdf.set_y(top + side + 6)
    pdf.line_of(text["or"], 12, "", 7)
    pdf.line_of(link, 12, "B", 7)
    pdf.ln(4)
    pdf.line_of(intro.in_(language), 13, "", 7)
    pdf.line_of(text["minute"] if minutes == 1 else text["minutes"].format(n=minutes), 13, "", 7)
    return bytes(pdf.output())
