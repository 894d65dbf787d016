"""The public family-survey page a school's link also opens (`/survey/{token}`): the survey's
questions as one HTML form, English or Spanish, phone-sized, no build step, with the feedback
card page's headers, styles and texts. `static/survey.js` sends the answers as JSON to the
public survey route and says thanks. No text a family sent is ever put in a page."""

from html import escape

from api.feedback.page import TEXT as CARD_TEXT
from api.feedback.page import family_page
from schemas.feedback import Language
from schemas.measures import ChoiceQuestion, FamilySurvey, Question, ScaleQuestion, TextQuestion

TEXT = {
    "en": {
        "optional": "Optional",
        "send": "Send",
        "thanks": "Thank you. Your answers help this school serve families better.",
        "already": "Thank you. We already have a survey from this device today, so this one was "
        "not counted again.",
    },
    "es": {
        "optional": "Opcional",
        "send": "Enviar",
        "thanks": "Gracias. Sus respuestas ayudan a esta escuela a atender mejor a las familias.",
        "already": "Gracias. Ya tenemos una encuesta de este dispositivo hoy, así que esta no se "
        "contó de nuevo.",
    },
}


def _e(text: str) -> str:
    return escape(text, quote=True)


def _question(q: Question, n: int, language: Language) -> str:
    t = {**CARD_TEXT[language], **TEXT[language]}
    mark = t["required"] if q.required else t["optional"]
    prompt = f'{_e(q.prompt.in_(language))} <span class="req">({_e(mark)})</span>'
    required = " required" if q.required else ""
    needed = " data-required" if q.required else ""
    qid = _e(q.id)
    if isinstance(q, TextQuestion):
        return (
            f'<p class="field"><label for="q-{n}">{prompt}</label>\n'
            f'<textarea id="q-{n}" name="{qid}" rows="4" maxlength="{q.max_length}" '
            f'data-question="text"{required}></textarea></p>'
        )
    if isinstance(q, ScaleQuestion):
        low, high = _e(q.low.in_(language)), _e(q.high.in_(language))
        points = "\n".join(
            f'<label class="score"><input type="radio" name="{qid}" value="{v}"{required}>'
            f"<span>{v}</span></label>"
            for v in range(q.min, q.max + 1)
        )
        return (
            f'<fieldset class="scores" data-question="scale" data-name="{qid}"{needed}>\n'
            f"<legend>{prompt}</legend>\n"
            f'<p class="scale" aria-hidden="true"><span>{low}</span> <span>{high}</span></p>\n'
            f'<p class="visually-hidden">{low}; {high}</p>\n'
            f'<div class="score-row">\n{points}\n</div>\n</fieldset>'
        )
    assert isinstance(q, ChoiceQuestion)
    kind = "checkbox" if q.multiple else "radio"
    options = "\n".join(
        f'<label class="choice"><input type="{kind}" name="{qid}" value="{_e(o.id)}"> '
        f"{_e(o.label.in_(language))}</label>"
        for o in q.options
    )
    shape = "many" if q.multiple else "one"
    return (
        f'<fieldset data-question="{shape}" data-name="{qid}"{needed}>\n'
        f"<legend>{prompt}</legend>\n{options}\n</fieldset>"
    )


def survey_page(survey: FamilySurvey, school: str, token: str, language: Language) -> str:
    """The page for one school's link in `language`."""
    t = {**CARD_TEXT[language], **TEXT[language]}
    endpoint = f"/survey/{_e(token)}/answers"
    questions = "\n".join(_question(q, n, language) for n, q in enumerate(survey.questions))
    title = _e(survey.title.in_(language))
    main = f"""<h1>{title}</h1>
<p class="school">{_e(school)}</p>
<p>{_e(survey.intro.in_(language))}</p>
<form id="survey" method="post" action="{endpoint}" novalidate
 data-endpoint="{endpoint}" data-language="{language}"
 data-error="{_e(t["error"])}" data-retry="{_e(t["retry"])}" data-already="{_e(t["already"])}"
 data-sending="{_e(t["sending"])}" data-thanks="{_e(t["thanks"])}">
{questions}
<div class="trap" aria-hidden="true">
<label for="website">{_e(t["honeypot"])}</label>
<input id="website" name="website" tabindex="-1" autocomplete="off">
</div>
<div id="problem" role="alert"></div>
<button type="submit">{_e(t["send"])}</button>
</form>
<div id="done" role="status"></div>"""
    return family_page(language, f"{survey.title.in_(language)}: {school}", main, "survey.js")
