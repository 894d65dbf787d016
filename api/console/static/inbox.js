// The console's concerns inbox: the district's dialogues newest first (filters: status, school,
// past due), each with its age in business hours and a past-due mark; one opened shows its
// contact, summary and notes, takes a note, and changes status, owner and the first-contact
// flag (closing it too). On the public JSON API (/api/v1/dialogues) with the console session's
// cookie; which dialogues a person may read or change is the API's to decide.

import { clearProblems, redraw, showProblem } from "./fields.js";

const T = {
  en: {
    inbox: "Concerns inbox",
    help: "Concerns families raised: from a feedback card that asked to be contacted, or entered by staff from a call or a visit. Open one to note what you did, and close it when it is resolved.",
    status: "Status", anyStatus: "Any status", school: "School", anySchool: "Every school", pastDueOnly: "Only those past due",
    show: "Show", more: "Show more",
    statuses: { open: "open", waiting: "waiting", closed: "closed" },
    none: "No concerns match these filters. Clear a filter to see more. A concern arrives here when a family asks to be contacted on a school's feedback card, or when staff enter one with POST /api/v1/dialogues.",
    noneAtAll: "The inbox is empty: no family has asked to be contacted yet. Put each school's printable feedback card at its counter (an administrator gets it from /api/v1/feedback/schools); families who ask to be contacted, and concerns staff enter from calls and visits, arrive here.",
    opened: "Opened {when}", age: "{hours} business hours", pastDue: "Past due", dueAt: "due {when}",
    openOne: "Open", openOf: "Open the concern: {summary}",
    detail: "Concern at {school}", reason: "Reason", source: "From", sources: { feedback: "a feedback card", staff: "staff" },
    contact: "Contact", noContact: "The family did not ask to be contacted.", due: "Due", closedAt: "Closed",
    owner: "Owner (name or email)", team: "Team", unowned: "no one yet", firstContact: "Resolved at first contact",
    yes: "yes", no: "no",
    notes: "Notes", noNotes: "No notes yet: note what you did, so whoever picks it up next knows.",
    noteAuthor: "Your name or email", noteText: "Note", addNote: "Add note", noteAdded: "Note added.",
    change: "Change the concern", save: "Save changes", saved: "Saved.", closeHelp: "To close it, choose the status closed and save.",
    back: "Back to the list", summary: "Summary",
  },
  es: {
    inbox: "Buzón de inquietudes",
    help: "Inquietudes que plantearon las familias: desde una tarjeta de opinión que pidió contacto, o anotadas por el personal tras una llamada o una visita. Abra una para anotar lo que hizo y ciérrela cuando esté resuelta.",
    status: "Estado", anyStatus: "Cualquier estado", school: "Escuela", anySchool: "Todas las escuelas", pastDueOnly: "Solo las vencidas",
    show: "Mostrar", more: "Mostrar más",
    statuses: { open: "abierta", waiting: "en espera", closed: "cerrada" },
    none: "Ninguna inquietud coincide con estos filtros. Quite un filtro para ver más. Una inquietud llega aquí cuando una familia pide que la contacten en la tarjeta de opinión de una escuela, o cuando el personal la anota con POST /api/v1/dialogues.",
    noneAtAll: "El buzón está vacío: ninguna familia ha pedido que la contacten todavía. Ponga la tarjeta de opinión imprimible de cada escuela en su mostrador (un administrador la obtiene en /api/v1/feedback/schools); aquí llegan las familias que piden que las contacten y las inquietudes que el personal anota tras llamadas y visitas.",
    opened: "Abierta el {when}", age: "{hours} horas hábiles", pastDue: "Vencida", dueAt: "vence el {when}",
    openOne: "Abrir", openOf: "Abrir la inquietud: {summary}",
    detail: "Inquietud en {school}", reason: "Motivo", source: "Origen", sources: { feedback: "una tarjeta de opinión", staff: "el personal" },
    contact: "Contacto", noContact: "La familia no pidió que la contacten.", due: "Vence", closedAt: "Cerrada",
    owner: "Responsable (nombre o correo)", team: "Equipo", unowned: "nadie todavía", firstContact: "Resuelta en el primer contacto",
    yes: "sí", no: "no",
    notes: "Notas", noNotes: "Aún no hay notas: anote lo que hizo, para que quien la retome sepa.",
    noteAuthor: "Su nombre o correo", noteText: "Nota", addNote: "Añadir nota", noteAdded: "Nota añadida.",
    change: "Cambiar la inquietud", save: "Guardar cambios", saved: "Guardado.", closeHelp: "Para cerrarla, elija el estado cerrada y guarde.",
    back: "Volver a la lista", summary: "Resumen",
  },
};

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function inboxPage(kit) {
  const { el, call, when, session } = kit;
  const canRead = session.scopes.includes("dialogues:read") || session.scopes.includes("dialogues:write");
  if (!canRead) return [];
  const canWrite = session.scopes.includes("dialogues:write");
  const t = T[kit.lang];
  const hours = (n) => Number(n).toLocaleString(kit.lang, { maximumFractionDigits: 1 });

  const filterErrors = {
    status: el("p", { class: "error", id: "inbox-status-error", role: "alert" }),
    school_id: el("p", { class: "error", id: "inbox-school-error", role: "alert" }),
  };
  const filterError = el("p", { class: "error", id: "inbox-error", role: "alert" });
  const statusSelect = el("select", { id: "inbox-status", name: "status", "aria-describedby": "inbox-status-error" },
    el("option", { value: "" }, t.anyStatus),
    ...["open", "waiting", "closed"].map((s) => el("option", { value: s }, t.statuses[s])));
  const schoolSelect = el("select", { id: "inbox-school", name: "school_id", "aria-describedby": "inbox-school-error" },
    el("option", { value: "" }, t.anySchool));
  const pastDue = el("input", { type: "checkbox", id: "inbox-past-due", name: "past_due" });
  const form = el("form", { class: "filters", novalidate: true },
    el("div", {}, el("label", { for: "inbox-status" }, t.status), statusSelect, filterErrors.status),
    el("div", {}, el("label", { for: "inbox-school" }, t.school), schoolSelect, filterErrors.school_id),
    el("div", {}, el("label", { class: "check", for: "inbox-past-due" }, pastDue, t.pastDueOnly)),
    el("div", {}, el("button", { type: "submit" }, t.show), filterError));
  const list = el("div", { id: "inbox-list", "aria-live": "polite", tabindex: "-1" });
  const panel = el("div", { id: "inbox-panel" });
  let items = [];
  let cursor = null;
  let reasons = {};  // reason id -> the card's label in the page's language
  const reasonOf = (id) => reasons[id] || id;

  function filtered() {
    return Boolean(statusSelect.value || schoolSelect.value || pastDue.checked);
  }

  async function load(more) {
    clearProblems(filterErrors, filterError);
    const params = new URLSearchParams({ limit: "50" });
    if (statusSelect.value) params.set("status", statusSelect.value);
    if (schoolSelect.value) params.set("school_id", schoolSelect.value);
    if (pastDue.checked) params.set("past_due", "true");
    if (more && cursor) params.set("cursor", cursor);
    let page;
    try {
      page = await call("GET", `/api/v1/dialogues?${params}`);
    } catch (failure) {
      showProblem(failure, filterErrors, filterError);
      return;
    }
    items = more ? items.concat(page.items) : page.items;
    cursor = page.next_cursor;
    drawList();
  }

  function drawList() {
    if (!items.length) {
      redraw(list, el("p", { id: "inbox-empty" }, filtered() ? t.none : t.noneAtAll));
      return;
    }
    const rows = items.map((d) => el("li", { class: "dialogue" },
      el("p", { class: "line" },
        el("strong", {}, `${d.school.name} · ${reasonOf(d.reason)}`), " · ",
        el("span", { class: "badge" }, t.statuses[d.status]),
        d.past_due ? [" · ", el("span", { class: "badge failing" }, t.pastDue)] : null),
      el("p", { class: "quote" }, d.summary),
      el("p", { class: "muted" }, [
        fill(t.opened, { when: when(d.opened_at) }),
        fill(t.age, { hours: hours(d.age_business_hours) }),
        d.status === "closed" ? null : fill(t.dueAt, { when: when(d.due_at) }),
      ].filter(Boolean).join(" · ")),
      el("button", {
        type: "button", class: "quiet small", "data-key": `open-${d.id}`,
        "aria-label": fill(t.openOf, { summary: d.summary.slice(0, 80) }),
        onclick: () => openDialogue(d.id),
      }, t.openOne)));
    redraw(list, el("ul", { class: "plain dialogues" }, rows),
      ...(cursor ? [el("button", { type: "button", class: "quiet", "data-key": "more", onclick: () => load(true) }, t.more)] : []));
  }

  async function openDialogue(id) {
    let dialogue;
    try {
      dialogue = await call("GET", `/api/v1/dialogues/${id}`);
    } catch (failure) {
      filterError.textContent = failure.message;
      return;
    }
    drawDetail(dialogue);
    panel.querySelector("h3").focus();
  }

  function replaced(dialogue) {
    items = items.map((d) => (d.id === dialogue.id ? dialogue : d));
    drawList();
  }

  function drawDetail(d) {
    const facts = [
      [t.status, t.statuses[d.status] + (d.past_due ? ` (${t.pastDue})` : "")],
      [t.reason, reasonOf(d.reason)],
      [t.source, t.sources[d.source] || d.source],
      [t.contact, d.contact ? [d.contact.name, d.contact.phone, d.contact.email].filter(Boolean).join(" · ") : t.noContact],
      [t.owner, d.owner || t.unowned],
      [t.team, d.team],
      [t.firstContact, d.first_contact_resolved ? t.yes : t.no],
      [fill(t.opened, { when: "" }).trim(), `${when(d.opened_at)} (${fill(t.age, { hours: hours(d.age_business_hours) })})`],
      d.closed_at ? [t.closedAt, when(d.closed_at)] : [t.due, when(d.due_at)],
    ];
    const notes = d.notes.length
      ? el("ul", { class: "plain", id: "inbox-notes" }, d.notes.map((n) => el("li", {},
        el("span", { class: "muted" }, `${when(n.at)} · ${n.author}: `), n.text)))
      : el("p", { id: "inbox-notes" }, t.noNotes);
    const status = el("p", { class: "muted", role: "status", id: "inbox-saved" });
    const heading = el("h3", { id: "inbox-detail-title", tabindex: "-1" }, fill(t.detail, { school: d.school.name }));
    const back = el("button", {
      type: "button", class: "quiet", onclick: () => {
        panel.replaceChildren();
        const opener = list.querySelector(`[data-key="open-${d.id}"]`);
        (opener || list).focus();
      },
    }, t.back);
    panel.replaceChildren(el("div", { class: "panel", role: "region", "aria-labelledby": "inbox-detail-title" },
      heading,
      el("h4", {}, t.summary), el("p", { class: "quote" }, d.summary),
      el("dl", { class: "facts" }, facts.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)])),
      el("h4", {}, t.notes), notes,
      canWrite ? [noteForm(d), changeForm(d)] : null,
      status, back));
  }

  function noteForm(d) {
    const errors = {
      author: el("p", { class: "error", id: "note-author-error", role: "alert" }),
      text: el("p", { class: "error", id: "note-text-error", role: "alert" }),
    };
    const general = el("p", { class: "error", id: "note-error", role: "alert" });
    const author = el("input", { type: "text", id: "note-author", name: "author", maxlength: "320",
      value: session.email || session.name, "aria-describedby": "note-author-error" });
    const text = el("textarea", { id: "note-text", name: "text", rows: "3", maxlength: "4000", "aria-describedby": "note-text-error" });
    const form = el("form", { id: "note-form", novalidate: true },
      el("label", { for: "note-author" }, t.noteAuthor), author, errors.author,
      el("label", { for: "note-text" }, t.noteText), text, errors.text,
      el("button", { type: "submit" }, t.addNote), general);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearProblems(errors, general);
      let changed;
      try {
        changed = await call("POST", `/api/v1/dialogues/${d.id}/notes`, { author: author.value.trim(), text: text.value.trim() });
      } catch (failure) {
        const field = showProblem(failure, errors, general);
        (field === "author" ? author : text).focus();
        return;
      }
      replaced(changed);
      drawDetail(changed);
      panel.querySelector("#note-text").focus();
      panel.querySelector("#inbox-saved").textContent = t.noteAdded;
    });
    return form;
  }

  function changeForm(d) {
    const errors = {
      status: el("p", { class: "error", id: "change-status-error", role: "alert" }),
      owner: el("p", { class: "error", id: "change-owner-error", role: "alert" }),
      first_contact_resolved: el("p", { class: "error", id: "change-first-error", role: "alert" }),
    };
    const general = el("p", { class: "error", id: "change-error", role: "alert" });
    const statusChoice = el("select", { id: "change-status", name: "status", "aria-describedby": "change-status-error change-help" },
      ["open", "waiting", "closed"].map((s) => el("option", { value: s, selected: s === d.status }, t.statuses[s])));
    const owner = el("input", { type: "text", id: "change-owner", name: "owner", maxlength: "320", value: d.owner, "aria-describedby": "change-owner-error" });
    const first = el("input", { type: "checkbox", id: "change-first", name: "first_contact_resolved", checked: d.first_contact_resolved, "aria-describedby": "change-first-error" });
    const form = el("form", { id: "change-form", novalidate: true },
      el("h4", {}, t.change),
      el("label", { for: "change-status" }, t.status), statusChoice,
      el("p", { class: "muted", id: "change-help" }, t.closeHelp), errors.status,
      el("label", { for: "change-owner" }, t.owner), owner, errors.owner,
      el("label", { class: "check", for: "change-first" }, first, t.firstContact), errors.first_contact_resolved,
      el("button", { type: "submit", id: "change-save" }, t.save), general);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearProblems(errors, general);
      const body = {};
      if (statusChoice.value !== d.status) body.status = statusChoice.value;
      if (owner.value.trim() !== d.owner) body.owner = owner.value.trim();
      if (first.checked !== d.first_contact_resolved) body.first_contact_resolved = first.checked;
      let changed;
      try {
        changed = await call("PATCH", `/api/v1/dialogues/${d.id}`, body);
      } catch (failure) {
        const field = showProblem(failure, errors, general);
        ({ status: statusChoice, owner, first_contact_resolved: first }[field] || statusChoice).focus();
        return;
      }
      replaced(changed);
      drawDetail(changed);
      panel.querySelector("#change-save").focus();
      panel.querySelector("#inbox-saved").textContent = t.saved;
    });
    return form;
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); load(false); });
  (async () => {
    try {  // the schools with a feedback link, for the school filter
      const summary = await call("GET", "/api/v1/dialogues/summary");
      schoolSelect.append(...summary.schools.map((s) => el("option", { value: s.school_id }, `${s.name} (${s.code})`)));
    } catch (failure) {
      filterError.textContent = failure.message;
    }
    try {  // the reasons' labels; without them the ids stand in
      const card = await call("GET", `/api/v1/feedback/card?lang=${kit.lang}`);
      reasons = Object.fromEntries(card.reasons.map((r) => [r.id, r.label]));
    } catch (failure) { /* ids stand in for labels */ }
    await load(false);
  })();
  return [el("section", { id: "inbox", "aria-labelledby": "inbox-title" },
    el("h2", { id: "inbox-title" }, t.inbox), el("p", { class: "muted" }, t.help),
    form, list, panel)];
}
