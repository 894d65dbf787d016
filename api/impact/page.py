"""The dashboard page: "what the training changed" drawn for people, in English or Spanish,
phone-sized, no build step. The page holds no data and no key: `static/impact.js` asks the
reader for an API key with `impact:read` (kept in the page's memory only), reads the JSON
routes, and draws inline SVG charts by hand, each with its figures as a table too. How the
script gets its credential is one function (`credentials` in impact.js), so a console with
sign-in can replace the pasted key without touching the charts."""

import json
from html import escape
from typing import Literal

ASSETS = "/impact-assets"

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

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "What the training changed",
        "trends": "Trends",
        "intro": "Each school's service figures, period by period, beside the share of its staff "
        "who completed each module of the course.",
        "caution": "This is a comparison, not proof of cause. Figures also move for reasons "
        "training does not touch, and small counts move the most: read each figure with its "
        "count (n).",
        "language": "Language",
        "key": "API key (with impact:read)",
        "key_hint": "Kept in this page only; it is gone when you close or reload it.",
        "period": "Period",
        "month": "Month",
        "week": "Week",
        "school": "School",
        "all": "All schools",
        "show": "Show figures",
        "loading": "Loading…",
        "failed": "The figures could not be loaded",
        "score_chart": "Experience score (mean, 0–10)",
        "coverage_chart": "Staff who completed each module",
        "age_chart": "Dialogue age (mean, business hours)",
        "distribution_chart": "Scores given, whole range",
        "data_table": "The figures as a table",
        "period_col": "Period",
        "answers": "Answers (n)",
        "mean_score": "Mean score",
        "opened": "Dialogues (n)",
        "median_age": "Median age (business hours)",
        "mean_age": "Mean age (business hours)",
        "past_due": "Past due",
        "fcr": "Resolved at first contact",
        "shopper": "Secret shopper",
        "phone": "phone",
        "email": "email",
        "visit": "visit",
        "coverage": "Completed",
        "score": "Score",
        "count": "Count",
        "schools_table": "School by school, latest period",
        "school_col": "School",
        "roster": "Staff on roster",
        "before_after": "Before and after each school's training date",
        "before_after_intro": "A school's training date is the first day 80% of its staff had "
        "completed every module. The windows are 90 days each; the one after may still be running.",
        "training_date": "Training date",
        "before": "Before",
        "after": "After",
        "not_yet": "Not reached yet",
        "download": "Download CSV",
        "trends_csv": "Trends (CSV)",
        "before_after_csv": "Before and after (CSV)",
        "no_data": "No figures",
        "chart_summary": "{name}: from {first} in {start} to {last} in {end}.",
        "empty_chart": "{name}: no figures in this range.",
    },
    "es": {
        "title": "Lo que cambió la capacitación",
        "trends": "Tendencias",
        "intro": "Las cifras de servicio de cada escuela, periodo a periodo, junto al porcentaje "
        "de su personal que completó cada módulo del curso.",
        "caution": "Esto es una comparación, no una prueba de causa. Las cifras también cambian "
        "por motivos que la capacitación no toca, y los conteos pequeños cambian más: lea cada "
        "cifra con su conteo (n).",
        "language": "Idioma",
        "key": "Clave de API (con impact:read)",
        "key_hint": "Se guarda solo en esta página; desaparece al cerrarla o recargarla.",
        "period": "Periodo",
        "month": "Mes",
        "week": "Semana",
        "school": "Escuela",
        "all": "Todas las escuelas",
        "show": "Mostrar cifras",
        "loading": "Cargando…",
        "failed": "No se pudieron cargar las cifras",
        "score_chart": "Puntuación de la experiencia (media, 0–10)",
        "coverage_chart": "Personal que completó cada módulo",
        "age_chart": "Antigüedad de los diálogos (media, horas hábiles)",
        "distribution_chart": "Puntuaciones dadas, todo el rango",
        "data_table": "Las cifras en una tabla",
        "period_col": "Periodo",
        "answers": "Respuestas (n)",
        "mean_score": "Puntuación media",
        "opened": "Diálogos (n)",
        "median_age": "Antigüedad mediana (horas hábiles)",
        "mean_age": "Antigüedad media (horas hábiles)",
        "past_due": "Vencidos",
        "fcr": "Resueltos en el primer contacto",
        "shopper": "Cliente incógnito",
        "phone": "teléfono",
        "email": "correo",
        "visit": "visita",
        "coverage": "Completado",
        "score": "Puntuación",
        "count": "Conteo",
        "schools_table": "Escuela por escuela, último periodo",
        "school_col": "Escuela",
        "roster": "Personal en la plantilla",
        "before_after": "Antes y después de la fecha de capacitación de cada escuela",
        "before_after_intro": "La fecha de capacitación de una escuela es el primer día en que el "
        "80 % de su personal había completado todos los módulos. Cada ventana dura 90 días; la "
        "de después puede seguir en curso.",
        "training_date": "Fecha de capacitación",
        "before": "Antes",
        "after": "Después",
        "not_yet": "Aún no alcanzada",
        "download": "Descargar CSV",
        "trends_csv": "Tendencias (CSV)",
        "before_after_csv": "Antes y después (CSV)",
        "no_data": "Sin cifras",
        "chart_summary": "{name}: de {first} en {start} a {last} en {end}.",
        "empty_chart": "{name}: no hay cifras en este rango.",
    },
}


def _e(text: str) -> str:
    return escape(text, quote=True)


def dashboard_page(language: Literal["en", "es"]) -> str:
    t = _TEXT[language]
    other = "en" if language == "es" else "es"
    other_name = "English" if other == "en" else "Español"
    # Texts for the script, as data (never run): `</` can't end the element early.
    texts = json.dumps(t, ensure_ascii=False).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{_e(t["title"])}</title>
<link rel="stylesheet" href="{ASSETS}/impact.css">
<script id="texts" type="application/json">{texts}</script>
<script src="{ASSETS}/impact.js" defer></script>
</head>
<body>
<header>
<nav aria-label="{_e(t["language"])}">
<a href="?lang={other}" lang="{other}" hreflang="{other}">{other_name}</a>
</nav>
</header>
<main>
<h1>{_e(t["title"])}</h1>
<p>{_e(t["intro"])}</p>
<p class="caution"><strong>{_e(t["caution"])}</strong></p>
<form id="connect" novalidate>
<p class="field"><label for="key">{_e(t["key"])}</label>
<input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required
 aria-describedby="key-hint">
<span id="key-hint" class="hint">{_e(t["key_hint"])}</span></p>
<p class="field"><label for="period">{_e(t["period"])}</label>
<select id="period" name="period"><option value="month">{_e(t["month"])}</option>
<option value="week">{_e(t["week"])}</option></select></p>
<p class="field"><label for="school">{_e(t["school"])}</label>
<select id="school" name="school"><option value="">{_e(t["all"])}</option></select></p>
<button type="submit">{_e(t["show"])}</button>
</form>
<div id="status" role="status" aria-live="polite"></div>
<div id="problem" role="alert"></div>
<div id="figures" hidden>
<section aria-labelledby="trend-title">
<h2 id="trend-title">{_e(t["trends"])}</h2>
<div class="charts">
<figure id="score-chart"></figure>
<figure id="coverage-chart"></figure>
<figure id="age-chart"></figure>
<figure id="distribution-chart"></figure>
</div>
</section>
<section aria-labelledby="schools-title">
<h2 id="schools-title">{_e(t["schools_table"])}</h2>
<div class="scroll" id="schools-table" tabindex="0" role="region" aria-labelledby="schools-title"></div>
</section>
<section aria-labelledby="before-after-title">
<h2 id="before-after-title">{_e(t["before_after"])}</h2>
<p>{_e(t["before_after_intro"])}</p>
<div class="scroll" id="before-after-table" tabindex="0" role="region"
 aria-labelledby="before-after-title"></div>
</section>
<section aria-labelledby="download-title">
<h2 id="download-title">{_e(t["download"])}</h2>
<p><button type="button" id="trends-csv">{_e(t["trends_csv"])}</button>
<button type="button" id="before-after-csv">{_e(t["before_after_csv"])}</button></p>
</section>
</div>
</main>
</body>
</html>
"""
