"""The public page a family opens from the QR card: the feedback card as one HTML form, in
English or Spanish, phone-sized, no build step. The page is made here from the card (every
text escaped); `static/feedback.js` sends the answer as JSON to the public answer route and
says thanks. No text a family sent is ever put in a page."""

from html import escape
from typing import Literal

from schemas.feedback import FeedbackCard, Language, Localized

ASSETS = "/feedback-assets"

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

TEXT = {
    "en": {
        "language": "Language",
        "required": "Required",
        "contact_hint": "Leave these empty to stay anonymous.",
        "consent_needed": "To be contacted, tick the box that agrees to it, or leave your details empty.",
        "phone_or_email": "To be contacted, give a phone number or an email.",
        "error": "Your answer could not be sent.",
        "retry": "Please try again in a moment.",
        "already": "Thank you. We already have an answer from this device today, so this one was not "
        "counted again.",
        "sending": "Sending…",
        "honeypot": "Leave this field empty",
        "closed_title": "This feedback link is closed",
        "closed": "This school no longer takes answers at this link. Thank you for wanting to tell us.",
        "missing_title": "No feedback link here",
        "missing": "There is no feedback card at this address. Check the link, or scan the card again.",
        "off_title": "Feedback cards are paused here",
        "off": "This school is not taking feedback cards at the moment. Please ask at the front "
        "office how to share your experience.",
    },
    "es": {
        "language": "Idioma",
        "required": "Obligatorio",
        "contact_hint": "Déjelos en blanco para seguir en el anonimato.",
        "consent_needed": "Para que le contacten, marque la casilla de aceptación o deje sus datos en "
        "blanco.",
        "phone_or_email": "Para que le contacten, indique un teléfono o un correo electrónico.",
        "error": "No se pudo enviar su respuesta.",
        "retry": "Inténtelo de nuevo en un momento.",
        "already": "Gracias. Ya tenemos una respuesta de este dispositivo hoy, así que esta no se "
        "contó de nuevo.",
        "sending": "Enviando…",
        "honeypot": "Deje este campo en blanco",
        "closed_title": "Este enlace para comentarios está cerrado",
        "closed": "Esta escuela ya no recibe respuestas en este enlace. Gracias por querer decírnoslo.",
        "missing_title": "No hay un enlace para comentarios aquí",
        "missing": "No hay una tarjeta de comentarios en esta dirección. Revise el enlace o vuelva a "
        "escanear la tarjeta.",
        "off_title": "Las tarjetas de comentarios están en pausa aquí",
        "off": "Esta escuela no recibe tarjetas de comentarios por ahora. Pregunte en la oficina "
        "principal cómo darnos su opinión.",
    },
}


def _e(text: str) -> str:
    return escape(text, quote=True)


def family_page(language: Language, title: str, main: str, script: str = "") -> str:
    """A page a family opens from the school's link: `title` (escaped) and `main` (HTML) in
    `language`, a link to the same page in the other language, and the page's `script`."""
    t = TEXT[language]
    other = "en" if language == "es" else "es"
    other_name = "English" if other == "en" else "Español"
    head_script = f'\n<script type="module" src="{ASSETS}/{script}"></script>' if script else ""
    return f"""<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{_e(title)}</title>
<link rel="stylesheet" href="{ASSETS}/feedback.css">{head_script}
</head>
<body>
<header>
<nav aria-label="{_e(t["language"])}">
<a href="?lang={other}" lang="{other}" hreflang="{other}">{other_name}</a>
</nav>
</header>
<main>
{main}
</main>
</body>
</html>
"""


def feedback_page(card: FeedbackCard, school: str, token: str, language: Language) -> str:
    """The page for one school's link in `language`."""
    t = TEXT[language]
    c = card

    def L(text: Localized) -> str:  # a card's text in this page's language, escaped
        return _e(text.in_(language))

    scores = "\n".join(
        f'<label class="score"><input type="radio" name="score" value="{n}" required><span>{n}</span></label>'
        for n in range(11)
    )
    reasons = "\n".join(
        f'<label class="choice"><input type="radio" name="reason" value="{_e(o.id)}" required> '
        f"{L(o.label)}</label>"
        for o in c.reason.options
    )
    endpoint = f"/feedback/{_e(token)}/answers"
    main = f"""<h1>{L(c.title)}</h1>
<p class="school">{_e(school)}</p>
<p>{L(c.intro)}</p>
<form id="feedback" method="post" action="{endpoint}" novalidate
 data-endpoint="{endpoint}" data-language="{language}"
 data-consent-needed="{_e(t["consent_needed"])}" data-phone-or-email="{_e(t["phone_or_email"])}"
 data-error="{_e(t["error"])}" data-retry="{_e(t["retry"])}" data-already="{_e(t["already"])}"
 data-sending="{_e(t["sending"])}" data-thanks="{L(c.thanks)}">
<fieldset class="scores">
<legend>{L(c.score.prompt)} <span class="req">({t["required"]})</span></legend>
<p class="scale" aria-hidden="true"><span>{L(c.score.low)}</span> <span>{L(c.score.high)}</span></p>
<p class="visually-hidden">{L(c.score.low)}; {L(c.score.high)}</p>
<div class="score-row">
{scores}
</div>
</fieldset>
<fieldset>
<legend>{L(c.reason.prompt)} <span class="req">({t["required"]})</span></legend>
{reasons}
</fieldset>
<fieldset>
<legend>{L(c.resolved.prompt)} <span class="req">({t["required"]})</span></legend>
<label class="choice"><input type="radio" name="resolved" value="yes" required> {L(c.resolved.yes)}</label>
<label class="choice"><input type="radio" name="resolved" value="no" required> {L(c.resolved.no)}</label>
</fieldset>
<p class="field">
<label for="comment">{L(c.comment.prompt)}</label>
<textarea id="comment" name="comment" rows="4" maxlength="{c.comment.max_length}"></textarea>
</p>
<fieldset>
<legend>{L(c.contact.prompt)}</legend>
<p class="hint">{t["contact_hint"]}</p>
<p class="field"><label for="contact-name">{L(c.contact.name)}</label>
<input id="contact-name" name="contact_name" autocomplete="name" maxlength="200"></p>
<p class="field"><label for="contact-phone">{L(c.contact.phone)}</label>
<input id="contact-phone" name="contact_phone" type="tel" autocomplete="tel" maxlength="40"></p>
<p class="field"><label for="contact-email">{L(c.contact.email)}</label>
<input id="contact-email" name="contact_email" type="email" autocomplete="email" maxlength="320"></p>
<label class="choice"><input type="checkbox" id="contact-consent" name="contact_consent">
{L(c.contact.consent)}</label>
</fieldset>
<div class="trap" aria-hidden="true">
<label for="website">{t["honeypot"]}</label>
<input id="website" name="website" tabindex="-1" autocomplete="off">
</div>
<div id="problem" role="alert"></div>
<button type="submit">{L(c.submit)}</button>
</form>
<div id="done" role="status"></div>"""
    return family_page(language, f"{c.title.in_(language)}: {school}", main, "feedback.js")


def unavailable_page(language: Language, why: Literal["closed", "missing", "off"]) -> str:
    """What a family sees at a closed link (410), one that never was (404), or a school with the
    card switched off (409)."""
    t = TEXT[language]
    title, text = t[f"{why}_title"], t[why]
    return family_page(language, title, f"<h1>{_e(title)}</h1>\n<p>{_e(text)}</p>")
