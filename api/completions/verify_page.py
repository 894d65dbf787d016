"""The page a person sees at `/verify/{code}` (the address printed on a certificate), in English or
Spanish: valid, voided (and when), or unknown. It says what the JSON answer says and nothing more:
for whom, which module, when, which district; a void's reason, typed by an administrator, is
never published."""

from datetime import date
from html import escape

from schemas.hr import Verification

LANGUAGES = ["en", "es"]

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
}

_TEXT = {
    "en": {
        "valid_title": "Certificate verified",
        "valid": "✓ This certificate is valid.",
        "voided_title": "Certificate voided",
        "voided": "✗ This certificate is no longer valid: the district that issued it voided the record "
        "on {date}. Its human resources office can say why.",
        "unknown_title": "Unknown verification code",
        "unknown": "No certificate has the code {code}. Check it against the certificate: the code is "
        "16 letters and digits, printed under the verification address.",
        "name": "Issued to",
        "module": "Module",
        "completed": "Completed on",
        "district": "Issued by",
        "course": "Certificates of the course “{course}”, checked by Front Office.",
    },
    "es": {
        "valid_title": "Certificado verificado",
        "valid": "✓ Este certificado es válido.",
        "voided_title": "Certificado anulado",
        "voided": "✗ Este certificado ya no es válido: el distrito que lo emitió anuló el registro el "
        "{date}. Su oficina de recursos humanos puede explicar el motivo.",
        "unknown_title": "Código de verificación desconocido",
        "unknown": "Ningún certificado tiene el código {code}. Compárelo con el certificado: el código "
        "tiene 16 letras y cifras, impresas bajo la dirección de verificación.",
        "name": "Emitido a",
        "module": "Módulo",
        "completed": "Completado el",
        "district": "Emitido por",
        "course": "Certificados del curso «{course}», verificados por Front Office.",
    },
}

HEADERS = {
    # Its own small style sheet inline, nothing else: no scripts, no other origin.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Vary": "Accept, Accept-Language",
    "Cache-Control": "no-store",  # a void must show at once
}

_STYLE = """
body { font-family: system-ui, sans-serif; font-size: 17px; line-height: 1.5; color: #1a1a1a;
  background: #f3f4f6; margin: 0; padding: 1em; }
main { max-width: 36em; margin: 2em auto; background: #fff; border: 1px solid #d0d3d8;
  border-radius: 8px; padding: 1.2em 1.5em; }
h1 { font-size: 1.5rem; margin-top: 0; }
.valid { color: #1d6b35; font-weight: 700; }
.voided, .unknown { color: #a3261b; font-weight: 700; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3em 1em; }
dt { font-weight: 700; }
dd { margin: 0; overflow-wrap: anywhere; }
.course { color: #4a4a4a; font-size: 0.9rem; }
"""


def written_date(iso: str, language: str) -> str:
    """`2026-12-03` as a person writes it: "December 3, 2026", "3 de diciembre de 2026"."""
    day = date.fromisoformat(iso)
    month = _MONTHS[language].split()[day.month - 1]
    if language == "es":
        return f"{day.day} de {month} de {day.year}"
    return f"{month} {day.day}, {day.year}"


def page(result: Verification | None, code: str, language: str, course: str) -> str:
    """The page for `result` (None: no certificate has `code`), in `language`; `course` is the
    course's title."""
    t = _TEXT[language]
    if result is None:
        title, kind = t["unknown_title"], "unknown"
        said = t["unknown"].format(code=escape(code))
    elif result.valid:
        title, kind, said = t["valid_title"], "valid", t["valid"]
    else:
        title, kind = t["voided_title"], "voided"
        said = t["voided"].format(date=written_date(result.voided_on or "", language))
    facts = ""
    if result is not None and result.name is not None:
        rows = [
            (t["name"], result.name),
            (t["module"], result.module or ""),
            (t["completed"], written_date(result.completed_on or "", language)),
            (t["district"], result.district or ""),
        ]
        facts = "".join(f"<dt>{label}</dt><dd>{escape(value)}</dd>" for label, value in rows)
        facts = f"<dl>{facts}</dl>"
    return f"""<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} · Front Office</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>{title}</h1>
<p class="{kind}">{said}</p>
{facts}
<p class="course">{t["course"].format(course=escape(course))}</p>
</main>
</body>
</html>
"""
