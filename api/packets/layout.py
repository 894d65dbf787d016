"""The printed packet laid out with fpdf2 (no I/O): a participant packet, a facilitator guide and
a one-page job aid, in English or Spanish, on US Letter or A4, with the district's name.

- The **participant packet** prints what the room uses, module by module in the workshop's
  order: each kept activity's handout and form, worksheets with ruled room to write, and the
  knowledge check as learners see it (`learner_form`: questions and options, never a key;
  entries in the player's fixed mixed order, since an order item is authored in its right one).
- The **facilitator guide** prints the agenda on one clock, then each block: a module's goals,
  materials, its timed script and the answer key of its forms.
- The **job aid** is one page: the service standard and who to call for what, with a column
  to write each number in.

Text is set in DejaVu Sans as certificates are (`Document`), Markdown through the same
renderer the API uses (`render_markdown`), then fpdf2's HTML writer; short texts (options,
entries, labels) are set as plain text."""

import html
import io
import re
from collections.abc import Iterator, Sequence
from typing import Literal

import msgspec
import segno
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

from api.completions.certificates import DEJAVU, Document
from api.content.render import render_markdown
from api.content.views import learner_form, presentation_order
from api.packets.plan import Block, Plan, clock
from schemas.content import (
    ChoiceItem,
    ClassifyItem,
    Form,
    Handout,
    Item,
    JobAid,
    ListItem,
    Module,
    OrderItem,
    ScenarioItem,
    TextEntryItem,
)
from schemas.content_views import (
    LearnerChoiceItem,
    LearnerClassifyItem,
    LearnerExtendedTextItem,
    LearnerItem,
    LearnerListItem,
    LearnerMatrixItem,
    LearnerOrderItem,
    LearnerRatingItem,
    LearnerScale,
    LearnerScenarioItem,
    LearnerTableItem,
    LearnerTextEntryItem,
)
from schemas.feedback import Language

Paper = Literal["letter", "a4"]
PAPER_FORMAT: dict[Paper, str] = {"letter": "Letter", "a4": "A4"}


class Words(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the packets say besides the content, in one language."""

    participant: str
    facilitator: str
    job_aid: str
    name: str
    school: str
    goals: str
    minutes: str
    agenda: str
    time: str
    what: str
    materials: str
    script: str
    kinds: dict[str, str]
    forms: dict[str, str]
    handout: str
    choose_all: str
    choose_one: str
    order_note: str
    scenario_note: str
    enter_note: str
    afterwards: str
    left_out: str
    answer_key: str
    expected: str
    accepted: str
    right_order: str
    best_path: str
    endings: str
    unsafe: str
    opening: str
    closing: str
    before: str
    for_what: str
    who: str
    number: str
    page: str
    page_alone: str
    """A page's number within one person's packet, when a file holds several."""
    scan: str


WORDS: dict[Language, Words] = {
    "en": Words(
        participant="Participant packet",
        facilitator="Facilitator guide",
        job_aid="Job aid",
        name="Name",
        school="School or department",
        goals="Goals",
        minutes="{m} min",
        agenda="Agenda",
        time="Time",
        what="What",
        materials="Materials",
        script="Script",
        kinds={"say": "Say", "do": "Do", "ask": "Ask", "capture": "Capture"},
        forms={
            "worksheet": "Worksheet",
            "knowledge_check": "Knowledge check",
            "self_assessment": "Self-assessment",
            "reflection": "Reflection form",
        },
        handout="Handout",
        choose_all="Choose all that apply.",
        choose_one="Choose one.",
        order_note="Number them in order, from 1.",
        scenario_note="This situation unfolds one step at a time: do it in the LMS.",
        enter_note="Write here, then enter your answers in the LMS: that is where they count.",
        afterwards="After the session, in the LMS",
        left_out="Left out of the room (participants do it in the LMS afterwards)",
        answer_key="Answer key",
        expected="Expected answers",
        accepted="Accepted answers",
        right_order="Right order",
        best_path="Full-credit path",
        endings="Endings",
        unsafe="unsafe",
        opening="Opening",
        closing="Closing",
        before="Before people arrive",
        for_what="For what",
        who="Who",
        number="Number",
        page="Page {n} of {total}",
        page_alone="Page {n}",
        scan="Your own link: scan it with a phone to open your work, or to enter what you wrote here.",
    ),
    "es": Words(
        participant="Cuadernillo del participante",
        facilitator="Guía del facilitador",
        job_aid="Guía rápida",
        name="Nombre",
        school="Escuela o departamento",
        goals="Objetivos",
        minutes="{m} min",
        agenda="Agenda",
        time="Hora",
        what="Qué",
        materials="Materiales",
        script="Guion",
        kinds={"say": "Diga", "do": "Haga", "ask": "Pregunte", "capture": "Anote"},
        forms={
            "worksheet": "Hoja de trabajo",
            "knowledge_check": "Prueba de conocimientos",
            "self_assessment": "Autoevaluación",
            "reflection": "Formulario de reflexión",
        },
        handout="Hoja informativa",
        choose_all="Marque todas las que correspondan.",
        choose_one="Marque una.",
        order_note="Numérelas en orden, desde el 1.",
        scenario_note="Esta situación avanza paso a paso: hágala en la plataforma de aprendizaje.",
        enter_note="Escriba aquí y luego registre sus respuestas en la plataforma de aprendizaje: "
        "allí es donde cuentan.",
        afterwards="Después de la sesión, en la plataforma de aprendizaje",
        left_out="Fuera de la sala (los participantes lo hacen después en la plataforma de aprendizaje)",
        answer_key="Clave de respuestas",
        expected="Respuestas esperadas",
        accepted="Respuestas aceptadas",
        right_order="Orden correcto",
        best_path="Camino con puntuación completa",
        endings="Finales",
        unsafe="no seguro",
        opening="Apertura",
        closing="Cierre",
        before="Antes de que llegue la gente",
        for_what="Para qué",
        who="A quién",
        number="Número",
        page="Página {n} de {total}",
        page_alone="Página {n}",
        scan="Su enlace personal: escanéelo con un teléfono para abrir su trabajo o registrar lo que "
        "escribió aquí.",
    ),
}

_TAG = re.compile(r"<[^>]+>")
_INLINE = re.compile(r"</?(?:strong|em|code|a)\b[^>]*>")
_IMAGE = re.compile(r"<img\b[^>]*>")


def plain(markdown: str) -> str:
    """A short Markdown text as one line of plain text."""
    inline = _INLINE.sub("", render_markdown(markdown))  # `**right**?` stays `right?`
    return " ".join(html.unescape(_TAG.sub(" ", inline)).split())


def _minutes(value: float) -> str:
    return f"{value:g}"


class Sheet(Document):
    """A packet's pages: the certificates' fonts (with italics, for Markdown's emphasis), the
    district and the document named at the foot of every page with its number."""

    def __init__(self, paper: Paper, language: Language, foot: str) -> None:
        super().__init__(format=PAPER_FORMAT[paper])
        if self.unicode:
            for style, file in (("I", "DejaVuSans-Oblique.ttf"), ("BI", "DejaVuSans-BoldOblique.ttf")):
                # Markdown's *emphasis* needs an italic face; upright stands in where there is none.
                self.add_font(
                    "DejaVu", style, str(DEJAVU / (file if (DEJAVU / file).exists() else "DejaVuSans.ttf"))
                )
        self.words = WORDS[language]
        self.foot = foot
        self.first_page: int | None = None
        """Where the current person's packet began, in a file of several (numbered apart)."""
        self.next_foot: str | None = None
        """The foot of the person's packet the next page starts."""
        self.box = "☐" if self.unicode else "[ ]"
        self.set_lang(language)
        self.set_creator("Front Office")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, 18)
        self.family = "DejaVu" if self.unicode else "helvetica"

    def header(self) -> None:
        # Here, not before `add_page`: the page before still gets the previous packet's foot.
        if self.next_foot is not None:
            self.foot, self.first_page, self.next_foot = self.next_foot, self.page_no(), None

    def footer(self) -> None:
        self.set_y(-12)
        self.font("", 8)
        if self.first_page is None:
            label = self.words.page.format(n=self.page_no(), total=self.str_alias_nb_pages)
        else:
            label = self.words.page_alone.format(n=self.page_no() - self.first_page + 1)
        self.cell(0, 5, self.fit(f"{self.foot} · {label}"), align="C")

    @property
    def width(self) -> float:
        """The width between the margins."""
        return self.w - self.l_margin - self.r_margin

    def para(self, value: str, size: float = 10, style: str = "", height: float = 5.2) -> None:
        """Plain text, wrapped to the margins."""
        self.font(style, size)
        self.set_x(self.l_margin)
        self.multi_cell(0, height, self.fit(value), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, value: str, size: float = 15) -> None:
        if self.will_page_break(size * 1.6):
            self.add_page()
        self.ln(2)
        self.para(value, size, "B", size * 0.5)
        self.ln(1.5)

    def markdown(self, value: str, size: float = 10) -> None:
        """A Markdown text (headings, lists, emphasis), wrapped to the margins."""
        self.font("", size)
        self.set_x(self.l_margin)
        rendered = _IMAGE.sub("", render_markdown(value))  # a packet prints no remote images
        black = {"color": 0, "family": self.family, "emphasis": "B"}
        self.write_html(
            self.fit(rendered),
            font_family=self.family,
            li_prefix_color=(0, 0, 0),
            tag_styles={
                "h1": FontFace(size_pt=size + 4, **black),  # type: ignore[arg-type]
                "h2": FontFace(size_pt=size + 2, **black),  # type: ignore[arg-type]
                "h3": FontFace(size_pt=size + 1, **black),  # type: ignore[arg-type]
            },
        )
        self.set_x(self.l_margin)
        self.ln(1)

    def ruled(self, lines: int, numbered: bool = False, gap: float = 8) -> None:
        """Ruled lines to write on, kept together on a page when they fit on one."""
        if self.will_page_break(min(lines, 8) * gap):
            self.add_page()
        self.font("", 9)
        for n in range(1, lines + 1):
            if self.will_page_break(gap):
                self.add_page()
            y = self.get_y() + gap
            left = self.l_margin
            if numbered:
                self.set_xy(left, y - 4.5)
                self.cell(7, 4.5, f"{n}.")
                left += 7
            self.set_draw_color(150)
            self.line(left, y, self.w - self.r_margin, y)
            self.set_draw_color(0)
            self.set_xy(self.l_margin, y)
        self.ln(3)

    def option(self, value: str, mark: str | None = None) -> None:
        """One option or entry with a box (or `mark`) before it."""
        self.font("", 10)
        self.set_x(self.l_margin + 3)
        self.cell(8, 5.2, self.fit(mark if mark is not None else self.box))
        self.multi_cell(
            self.width - 11, 5.2, self.fit(value), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def grid(
        self,
        rows: list[list[str]],
        widths: tuple[float, ...],
        min_height: float | None = None,
        size: float = 9,
    ) -> None:
        """A table whose first row is its header, repeated on each page it runs onto."""
        self.font("", size)
        self.set_x(self.l_margin)
        with self.table(
            col_widths=widths,
            width=self.width,
            text_align="LEFT",
            line_height=size * 0.5,
            headings_style=FontFace(emphasis="BOLD", family=self.family),
            min_row_height=min_height,
            padding=1.2,
        ) as table:
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(self.fit(value))
        self.ln(3)

    def cover(self, title: str, district: str, course: str, subtitle: str, logo: bytes | None) -> None:
        self.add_page()
        top = 30.0
        if logo:
            self.image(io.BytesIO(logo), x=Align.C, y=20, w=70, h=18, keep_aspect_ratio=True)
            top = 44
        self.set_y(top)
        self.font("B", 18)
        self.multi_cell(0, 9, self.fit(district), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.font("", 13)
        self.multi_cell(0, 7, self.fit(course), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(12)
        self.font("B", 26)
        self.multi_cell(0, 12, self.fit(title), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)
        self.font("B", 16)
        self.multi_cell(0, 8, self.fit(subtitle), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(10)


# --- The participant packet -----------------------------------------------------------------


def _scale_labels(scale: LearnerScale) -> str:
    return " · ".join(f"{label.value} = {label.label}" for label in scale.labels)


def _item(pdf: Sheet, number: int, item: LearnerItem) -> None:
    """One item with room to answer it; learner items carry no answer key."""
    words = pdf.words
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.markdown(f"**{number}.** {item.prompt}")
    match item:
        case LearnerChoiceItem():
            pdf.para(words.choose_all if item.multiple else words.choose_one, 9, "I" if pdf.unicode else "")
            options = presentation_order(item.id, item.options) if item.shuffle else item.options
            for option in options:
                pdf.option(plain(option.text))
        case LearnerClassifyItem():
            labels = [category.label for category in item.categories]
            side = min(26.0, (pdf.width * 0.45) / len(labels))
            rows = [["", *labels]] + [[plain(e.text), *[pdf.box] * len(labels)] for e in item.entries]
            pdf.grid(rows, (pdf.width - side * len(labels), *[side] * len(labels)))
        case LearnerOrderItem():
            pdf.para(words.order_note, 9)
            for entry in item.entries:
                pdf.option(plain(entry.text), "___")
        case LearnerTextEntryItem():
            pdf.ruled(1)
        case LearnerExtendedTextItem():
            pdf.ruled(max(3, min(8, item.max_length // 250)))
        case LearnerListItem():
            pdf.ruled(max(4, min(10, item.min_entries + 3)), numbered=True)
        case LearnerRatingItem():
            pdf.para(_scale_labels(item.scale), 9)
            pdf.para("     ".join(f"{pdf.box} {v}" for v in range(item.scale.min, item.scale.max + 1)), 11)
            pdf.ln(2)
        case LearnerMatrixItem():
            values = [str(v) for v in range(item.scale.min, item.scale.max + 1)]
            pdf.para(_scale_labels(item.scale), 9)
            side = 11.0
            rows = [["", *values]] + [[plain(s.text), *[pdf.box] * len(values)] for s in item.statements]
            pdf.grid(rows, (pdf.width - side * len(values), *[side] * len(values)))
        case LearnerTableItem():
            labels = [column.label for column in item.columns]
            if item.rows:
                first = min(45.0, pdf.width / (len(labels) + 1))
                rest = (pdf.width - first) / len(labels)
                rows = [["", *labels]] + [[row.label, *[""] * len(labels)] for row in item.rows]
                pdf.grid(rows, (first, *[rest] * len(labels)), min_height=16)
            else:
                count = max(3, min(6, item.min_rows + 1))
                rows = [labels] + [[""] * len(labels) for _ in range(count)]
                pdf.grid(rows, tuple([pdf.width / len(labels)] * len(labels)), min_height=16)
        case LearnerScenarioItem():
            pdf.para(words.scenario_note, 9, "I" if pdf.unicode else "")
            pdf.ln(2)
        case _:  # every item type has its case above
            pass


def _form(pdf: Sheet, form: Form) -> None:
    view = learner_form(form)
    pdf.heading(f"{pdf.words.forms[form.kind]}: {view.title}", 13)
    pdf.markdown(view.instructions, 9.5)
    pdf.para(pdf.words.enter_note, 8.5, "I" if pdf.unicode else "")
    pdf.ln(2)
    for number, item in enumerate(view.items, 1):
        _item(pdf, number, item)


def _handout(pdf: Sheet, handout: Handout) -> None:
    pdf.heading(f"{pdf.words.handout}: {handout.title}", 13)
    pdf.markdown(handout.body)
    pdf.ln(2)


def _materials(block: Block) -> Iterator[Form | Handout]:
    """The handouts and forms of the block's kept activities, each once, in activity order."""
    assert block.module is not None
    forms = {form.id: form for form in block.module.forms}
    handouts = {handout.id: handout for handout in block.module.handouts}
    seen: set[str] = set()
    for activity in block.kept:
        for key, found in (
            ("h:", handouts.get(activity.handout or "")),
            ("f:", forms.get(activity.form or "")),
        ):
            if found is not None and key + found.id not in seen:
                seen.add(key + found.id)
                yield found


def _agenda_lines(pdf: Sheet, plan: Plan) -> None:
    pdf.heading(pdf.words.agenda, 13)
    rows = [[pdf.words.time, pdf.words.what, "min"]]
    for block in plan.blocks:
        rows.append(
            [
                f"{clock(block.start)}–{clock(block.start + block.minutes)}",
                block.title,
                _minutes(block.minutes),
            ]
        )
    pdf.grid(rows, (30, pdf.width - 48, 18))


class Person(msgspec.Struct, frozen=True, kw_only=True):
    """A participant a packet is printed for: their name and school on its cover, and their
    own link (to their work in the player) as a QR code under them."""

    name: str
    school: str
    link: str


def _qr(pdf: Sheet, link: str) -> None:
    """The person's link as a QR code with the link under it (small: it is long)."""
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=4, border=4)
    side = 42.0
    if pdf.will_page_break(side + 20):
        pdf.add_page()
    pdf.ln(2)
    pdf.para(pdf.words.scan, 9)
    pdf.image(out, x=pdf.l_margin, y=pdf.get_y() + 1, w=side, h=side)
    pdf.set_y(pdf.get_y() + side + 2)
    pdf.para(link, 6, height=3)
    pdf.ln(2)


def participant_packet(
    plan: Plan,
    district: str,
    course: str,
    language: Language,
    paper: Paper,
    logo: bytes | None = None,
    people: Sequence[Person] = (),
) -> bytes:
    """The participant packet of `plan` (modules already in `language`); with `people`, one
    packet each in the file, its cover with their name, school and own QR code, its pages
    numbered from its cover and its foot naming them."""
    words = WORDS[language]
    pdf = Sheet(paper, language, f"{district} · {words.participant}")
    pdf.set_title(pdf.fit(f"{words.participant}: {plan.title}"))
    for person in people or (None,):
        if person is not None:
            pdf.next_foot = f"{district} · {person.name}"
        _packet(pdf, plan, district, course, logo, person)
    return bytes(pdf.output())


def _packet(
    pdf: Sheet, plan: Plan, district: str, course: str, logo: bytes | None, person: Person | None
) -> None:
    words = pdf.words
    pdf.cover(words.participant, district, course, plan.title, logo)
    if person is None:
        for label in (words.name, words.school):
            pdf.para(f"{label}:", 11, "B")
            pdf.ruled(1)
    else:
        pdf.para(f"{words.name}: {person.name}", 12, "B")
        pdf.para(f"{words.school}: {person.school}", 11)
        _qr(pdf, person.link)
    _agenda_lines(pdf, plan)
    for block in plan.blocks:
        if block.module is None:
            continue
        pdf.add_page()
        pdf.heading(block.module.title, 18)
        pdf.para(words.goals, 11, "B")
        for goal in block.module.goals:
            pdf.option(plain(goal), "•")
        pdf.ln(2)
        for material in _materials(block):
            if isinstance(material, Form):
                _form(pdf, material)
            else:
                _handout(pdf, material)
        if block.left_out:
            pdf.heading(words.afterwards, 12)
            for activity in block.left_out:
                pdf.option(activity.title)


# --- The facilitator guide ------------------------------------------------------------------


def _segments(pdf: Sheet, block: Block) -> list[tuple[float, float, str]]:
    """A module block's script as (start, minutes, what) rows, consecutive steps of one
    activity together."""
    rows: list[tuple[float, float, str]] = []
    seen_activity = False
    for timed in block.steps:
        if timed.activity is not None:
            label = timed.activity.title
            seen_activity = True
        elif timed.step.minutes == 0 and not rows:
            label = pdf.words.before
        else:
            label = pdf.words.closing if seen_activity else pdf.words.opening
        if rows and rows[-1][2] == label:
            start, minutes, _ = rows[-1]
            rows[-1] = (start, minutes + timed.step.minutes, label)
        else:
            rows.append((timed.start, timed.step.minutes, label))
    return rows


def _best_path(item: ScenarioItem) -> tuple[list[str], str]:
    """The choices (their texts) to the scenario's best-scoring ending, and that ending's title."""
    nodes = {node.id: node for node in item.nodes}
    endings = {ending.id: ending for ending in item.endings}

    def walk(node_id: str, seen: frozenset[str]) -> tuple[float, list[str], str] | None:
        if node_id in endings:
            ending = endings[node_id]
            return (ending.score if ending.safe else -1.0, [], ending.title)
        node = nodes.get(node_id)
        if node is None or node_id in seen:
            return None
        best: tuple[float, list[str], str] | None = None
        for choice in node.choices:
            found = walk(choice.next, seen | {node_id})
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], [plain(choice.text), *found[1]], found[2])
        return best

    found = walk(item.start, frozenset())
    return ([], "") if found is None else (found[1], found[2])


def _has_key(form: Form, item: Item) -> bool:
    """Whether the guide prints an answer for `item`: a marked item, or a list compared with a
    reference list."""
    if isinstance(item, ListItem):
        return bool(item.reference)
    marked = isinstance(item, ChoiceItem | ClassifyItem | OrderItem | TextEntryItem | ScenarioItem)
    return marked and form.policy.scoring == "automatic"


def _key(pdf: Sheet, module: Module) -> None:
    """The answer key of every form with answers: the right options, placements, orders and
    accepted words with the feedback that explains them, scenarios' full-credit paths, and the
    reference lists worksheets compare with."""
    words = pdf.words
    printed = False
    for form in module.forms:
        keyed = [item.id for item in form.items if _has_key(form, item)]
        if not keyed:
            continue
        if not printed:
            pdf.heading(f"{words.answer_key}: {module.title}", 14)
            printed = True
        pdf.para(f"{words.forms[form.kind]}: {form.title}", 11.5, "B")
        pdf.ln(1)
        for number, item in enumerate(form.items, 1):
            if item.id not in keyed:
                continue
            if pdf.will_page_break(25):
                pdf.add_page()
            pdf.markdown(f"**{number}.** {item.prompt}", 9.5)
            if isinstance(item, ChoiceItem):
                for option in item.options:
                    if option.correct:
                        pdf.option(
                            f"{plain(option.text)} — {plain(option.feedback)}", "✓" if pdf.unicode else "*"
                        )
            elif isinstance(item, ClassifyItem):
                labels = {category.id: category.label for category in item.categories}
                rows = [["", ""]] + [[plain(e.text), labels[e.category]] for e in item.entries]
                pdf.grid(rows, (pdf.width * 0.7, pdf.width * 0.3))
            elif isinstance(item, OrderItem):
                pdf.para(words.right_order, 9, "B")
                for n, entry in enumerate(item.entries, 1):
                    pdf.option(plain(entry.text), f"{n}.")
                pdf.para(plain(item.feedback), 9)
            elif isinstance(item, TextEntryItem):
                pdf.para(f"{words.accepted}: {', '.join(item.accepted)}", 9.5)
                pdf.para(plain(item.feedback_correct), 9)
            elif isinstance(item, ScenarioItem):
                path, ending = _best_path(item)
                pdf.para(words.best_path, 9, "B")
                for n, step in enumerate(path, 1):
                    pdf.option(step, f"{n}.")
                pdf.option(ending, "→" if pdf.unicode else "->")
                pdf.para(f"{words.endings}:", 9, "B")
                for end in item.endings:
                    flag = "" if end.safe else f" ({words.unsafe})"
                    pdf.option(f"{end.title}: {end.score * 100:.0f}%{flag}", "•")
            elif isinstance(item, ListItem):
                pdf.para(f"{words.expected}: " + "; ".join(entry.text for entry in item.reference), 9.5)
            pdf.ln(2)


def _block(pdf: Sheet, block: Block) -> None:
    words = pdf.words
    span = f"{clock(block.start)}–{clock(block.start + block.minutes)}"
    module = block.module
    if module is None:
        pdf.heading(f"{span} · {block.title} ({words.minutes.format(m=_minutes(block.minutes))})", 13)
        pdf.markdown(block.text)
        return
    pdf.add_page()
    pdf.heading(module.title, 18)
    pdf.para(f"{span} · {words.minutes.format(m=_minutes(block.minutes))}", 10)
    pdf.ln(1)
    if block.text:
        pdf.markdown(block.text)
    pdf.para(words.goals, 11, "B")
    for goal in module.goals:
        pdf.option(plain(goal), "•")
    pdf.ln(1)
    pdf.para(words.materials, 11, "B")
    for material in module.materials:
        pdf.option(material.title)
    pdf.ln(1)
    if block.left_out:
        pdf.para(words.left_out, 10, "B")
        for activity in block.left_out:
            pdf.option(activity.title, "–")
        pdf.ln(1)
    pdf.heading(words.script, 14)
    for timed in block.steps:
        step = timed.step
        label = [f"{clock(timed.start)}–{clock(timed.start + step.minutes)}", words.kinds[step.kind]]
        label.append(words.minutes.format(m=_minutes(step.minutes)))
        if timed.activity is not None:
            label.append(timed.activity.title)
        if pdf.will_page_break(20):
            pdf.add_page()
        pdf.para(" · ".join(label), 10, "B")
        pdf.markdown(step.text, 9.5)
        pdf.ln(1)
    _key(pdf, module)


def facilitator_guide(
    plan: Plan, district: str, course: str, language: Language, paper: Paper, logo: bytes | None = None
) -> bytes:
    """The facilitator guide of `plan` (modules already in `language`)."""
    words = WORDS[language]
    pdf = Sheet(paper, language, f"{district} · {words.facilitator}")
    pdf.set_title(pdf.fit(f"{words.facilitator}: {plan.title}"))
    pdf.cover(words.facilitator, district, course, plan.title, logo)
    pdf.para(words.minutes.format(m=_minutes(plan.minutes)), 12, "B")
    pdf.markdown(plan.summary)
    pdf.add_page()
    pdf.heading(words.agenda, 15)
    rows = [[words.time, words.what, "min"]]
    for block in plan.blocks:
        end = clock(block.start + block.minutes)
        rows.append(
            [
                f"{clock(block.start)}–{end}",
                block.title.upper() if block.module else block.title,
                _minutes(block.minutes),
            ]
        )
        if block.module is not None:
            for start, minutes, label in _segments(pdf, block):
                rows.append([f"   {clock(start)}", f"   {label}", _minutes(minutes)])
    pdf.grid(rows, (28, pdf.width - 44, 16))
    for block in plan.blocks:
        _block(pdf, block)
    return bytes(pdf.output())


# --- The job aid ----------------------------------------------------------------------------


def job_aid(aid: JobAid, district: str, course: str, language: Language, paper: Paper) -> bytes:
    """The one-page job aid: the service standard in its order, and who to call for what."""
    words = WORDS[language]
    pdf = Sheet(paper, language, f"{district} · {course}")
    title = aid.title.in_(language)
    pdf.set_title(pdf.fit(title))
    pdf.add_page()
    pdf.para(f"{district} · {words.job_aid}", 10, "B")
    pdf.ln(1)
    pdf.para(title, 16, "B", 7.5)
    pdf.ln(2)
    pdf.para(aid.standard_intro.in_(language), 10.5)
    pdf.ln(1)
    for number, line in enumerate(aid.standard, 1):
        pdf.font("B", 11)
        pdf.set_x(pdf.l_margin + 3)
        pdf.cell(34, 6, pdf.fit(f"{number}. {line.name.in_(language)}"))
        pdf.font("", 10)
        pdf.multi_cell(
            0, 6, pdf.fit(line.text.in_(language)), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    pdf.ln(3)
    pdf.para(aid.contacts_intro.in_(language), 10.5, "B")
    pdf.ln(1)
    rows = [[words.for_what, words.who, words.number]]
    rows += [[c.need.in_(language), c.who.in_(language), ""] for c in aid.contacts]
    pdf.grid(rows, (pdf.width * 0.45, pdf.width * 0.37, pdf.width * 0.18), min_height=9, size=8.5)
    pdf.para(aid.footer.in_(language), 9.5, "I" if pdf.unicode else "")
    return bytes(pdf.output())
