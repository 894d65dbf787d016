// The console's roster page: check a CSV (every bad row with its line and problem, nothing
// written), then import it; search the roster; link a learner no employee matches. On the public
// JSON API (PUT /api/v1/roster?dry_run=true, GET /api/v1/roster, /roster/unmatched, PUT
// /roster/links/{id}) with the console session's cookie and CSRF token.

const T = {
  en: {
    roster: "Roster", rosterHelp: "The staff list from your HR system. Upload it as CSV: each bad row is shown with its line before anything is written.",
    file: "Roster CSV file", columns: "Columns (header row first): employee_id, name, email, school_code, school_name, department, role_code, role_title, status (active, leave, inactive or terminated).",
    check: "Check the file", chooseFile: "Choose a CSV file first.", importRows: "Import {n} rows",
    bad: "{n} rows have problems, so nothing was written. Fix them in the file, choose it again and check it.",
    ready: "The file is good: {created} new and {updated} updated employees. Nothing is written until you import.",
    imported: "Imported: {created} new and {updated} updated employees.",
    line: "Line", column: "Column", problem: "Problem", wholeRow: "(whole row)",
    search: "Search by name, email or employee id", find: "Search", more: "Show more",
    emptyRoster: "No one on the roster yet. Upload your HR system's staff CSV above.",
    emptyRosterReader: "No one on the roster yet. Ask your district administrator to upload it.",
    noMatch: "No one on the roster matches “{q}”. Check the spelling or search by employee id.",
    id: "Employee ID", name: "Name", email: "Email", school: "School", role: "Role", status: "Status", linked: "Linked by hand",
    yes: "yes", unmatched: "Learners no employee matches",
    unmatchedHelp: "These learners signed in with an employee id and email the roster does not have. Link each to their employee so their completions count.",
    noUnmatched: "Every learner matches an employee on the roster: nothing to link.",
    linkTo: "Employee ID for {name}", link: "Link", linkedTo: "Linked {name} to employee {id} ({employee}).",
    given: "Gave",
  },
  es: {
    roster: "Personal", rosterHelp: "La lista de personal de su sistema de Recursos Humanos. Súbala como CSV: cada fila con errores se muestra con su línea antes de escribir nada.",
    file: "Archivo CSV del personal", columns: "Columnas (primero la fila de encabezado): employee_id, name, email, school_code, school_name, department, role_code, role_title, status (active, leave, inactive o terminated).",
    check: "Revisar el archivo", chooseFile: "Primero elija un archivo CSV.", importRows: "Importar {n} filas",
    bad: "{n} filas tienen problemas, así que no se escribió nada. Corríjalas en el archivo, elíjalo de nuevo y revíselo.",
    ready: "El archivo está bien: {created} empleados nuevos y {updated} actualizados. No se escribe nada hasta que importe.",
    imported: "Importado: {created} empleados nuevos y {updated} actualizados.",
    line: "Línea", column: "Columna", problem: "Problema", wholeRow: "(toda la fila)",
    search: "Buscar por nombre, correo o número de empleado", find: "Buscar", more: "Mostrar más",
    emptyRoster: "Aún no hay nadie en el personal. Suba arriba el CSV de su sistema de Recursos Humanos.",
    emptyRosterReader: "Aún no hay nadie en el personal. Pida al administrador del distrito que lo suba.",
    noMatch: "Nadie en el personal coincide con «{q}». Revise la ortografía o busque por número de empleado.",
    id: "Número de empleado", name: "Nombre", email: "Correo", school: "Escuela", role: "Puesto", status: "Estado", linked: "Vinculado a mano",
    yes: "sí", unmatched: "Participantes sin empleado",
    unmatchedHelp: "Estos participantes entraron con un número de empleado y un correo que el personal no tiene. Vincule cada uno a su empleado para que sus cursos completados cuenten.",
    noUnmatched: "Cada participante coincide con un empleado del personal: nada que vincular.",
    linkTo: "Número de empleado para {name}", link: "Vincular", linkedTo: "{name} quedó vinculado al empleado {id} ({employee}).",
    given: "Dio",
  },
};

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

// A CSV body, sent as it is (the JSON helper would quote it), with the session's CSRF token.
async function sendCsv(kit, text, dryRun) {
  const response = await fetch(`/api/v1/roster${dryRun ? "?dry_run=true" : ""}`, {
    method: "PUT",
    headers: { Accept: "application/json", "Content-Type": "text/csv", "X-CSRF-Token": kit.session.csrf_token },
    body: text,
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error((data && data.detail) || `${response.status}`);
  return data;
}

function uploadForm(kit, t, afterImport) {
  const { el } = kit;
  const error = el("p", { class: "error", id: "roster-file-error", role: "alert" });
  const input = el("input", { type: "file", id: "roster-file", accept: ".csv,text/csv", "aria-describedby": "roster-file-help roster-file-error" });
  const report = el("div", { id: "roster-report", "aria-live": "polite" });
  const form = el("form", { novalidate: true },
    el("label", { for: "roster-file" }, t.file), input,
    el("p", { class: "muted", id: "roster-file-help" }, t.columns),
    el("button", { type: "submit" }, t.check), error, report);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    report.replaceChildren();
    const file = input.files && input.files[0];
    if (!file) {
      error.textContent = t.chooseFile;
      input.focus();
      return;
    }
    const text = await file.text();
    let result;
    try {
      result = await sendCsv(kit, text, true);
    } catch (failure) {
      error.textContent = failure.message;
      input.focus();
      return;
    }
    if (result.errors.length) {
      error.textContent = fill(t.bad, { n: new Set(result.errors.map((e) => e.line)).size });
      report.replaceChildren(el("div", { class: "table", tabindex: "0", role: "region", "aria-label": t.problem }, el("table", { id: "roster-errors" },
        el("caption", { class: "muted" }, t.problem),
        el("thead", {}, el("tr", {}, [t.line, t.column, t.problem].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, result.errors.map((e) => el("tr", {},
          el("th", { scope: "row" }, String(e.line)),
          el("td", {}, e.field ? el("code", {}, e.field) : t.wholeRow),
          el("td", {}, e.problem)))))));
      input.focus();
      return;
    }
    const rows = result.created + result.updated;
    const go = el("button", { type: "button", id: "roster-import" }, fill(t.importRows, { n: rows }));
    go.addEventListener("click", async () => {
      go.disabled = true;
      try {
        const done = await sendCsv(kit, text, false);
        report.replaceChildren(el("p", { role: "status", class: "shown-once" }, fill(t.imported, done)));
        form.reset();
        afterImport();
      } catch (failure) {
        go.disabled = false;
        error.textContent = failure.message;
      }
      input.focus();
    });
    report.replaceChildren(el("p", { role: "status" }, fill(t.ready, result)), go);
    go.focus();
  });
  return form;
}

function searchPart(kit, t, admin) {
  const { el, call } = kit;
  const error = el("p", { class: "error", id: "roster-search-error", role: "alert" });
  const q = el("input", { type: "text", id: "roster-q", maxlength: "200", "aria-describedby": "roster-search-error" });
  // Focusable, so a keyboard user can scroll a wide table on a phone.
  const list = el("div", { class: "table", "aria-live": "polite", tabindex: "0", role: "region", "aria-label": t.roster });
  let cursor = null;
  let rows = [];
  async function load(more) {
    error.textContent = "";
    const query = new URLSearchParams({ q: q.value.trim(), limit: "50" });
    if (more && cursor) query.set("cursor", cursor);
    let page;
    try {
      page = await call("GET", `/api/v1/roster?${query}`);
    } catch (failure) {
      error.textContent = failure.message;
      return;
    }
    rows = more ? rows.concat(page.items) : page.items;
    cursor = page.next_cursor;
    if (!rows.length) {
      const empty = q.value.trim() ? fill(t.noMatch, { q: q.value.trim() }) : admin ? t.emptyRoster : t.emptyRosterReader;
      list.replaceChildren(el("p", {}, empty));
      return;
    }
    const table = el("table", { id: "roster-table" },
      el("caption", { class: "muted" }, t.roster),
      el("thead", {}, el("tr", {}, [t.id, t.name, t.email, t.school, t.role, t.status, t.linked].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows.map((r) => el("tr", {},
        el("th", { scope: "row" }, r.employee_id),
        el("td", {}, r.name), el("td", {}, r.email),
        el("td", {}, r.school_name || r.school_code), el("td", {}, r.role_title || r.role_code),
        el("td", {}, r.status), el("td", {}, r.linked_learner_id ? t.yes : "")))));
    const more_ = cursor ? [el("button", { type: "button", class: "quiet", onclick: () => load(true) }, t.more)] : [];
    list.replaceChildren(table, ...more_);
  }
  const form = el("form", { role: "search", novalidate: true },
    el("label", { for: "roster-q" }, t.search),
    el("div", { class: "inline" }, q, el("button", { type: "submit" }, t.find)), error);
  form.addEventListener("submit", (event) => { event.preventDefault(); load(false); });
  load(false);
  return { part: el("div", {}, form, list), reload: () => load(false) };
}

function unmatchedPart(kit, t, admin, afterLink) {
  const { el, call } = kit;
  const box = el("div", { class: "table", tabindex: "0", role: "region", "aria-label": t.unmatched });
  const status = el("p", { role: "status", "aria-live": "polite" });
  const error = el("p", { class: "error", role: "alert" });
  async function load() {
    let learners;
    try {
      learners = await call("GET", "/api/v1/roster/unmatched?limit=200");
    } catch (failure) {
      error.textContent = failure.message;
      return;
    }
    if (!learners.length) {
      box.replaceChildren(el("p", {}, t.noUnmatched));
      return;
    }
    box.replaceChildren(el("table", { id: "unmatched-table" },
      el("caption", { class: "muted" }, t.unmatched),
      el("thead", {}, el("tr", {}, [t.name, t.email, t.given, t.school, admin ? t.link : null].filter(Boolean).map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, learners.map((learner) => el("tr", {},
        el("th", { scope: "row" }, learner.name || learner.external_id),
        el("td", {}, learner.email),
        el("td", {}, learner.employee_id),
        el("td", {}, learner.school),
        admin ? el("td", {}, linkForm(learner)) : null)))));
  }
  function linkForm(learner) {
    const id = `link-${learner.learner_id}`;
    const who = learner.name || learner.email || learner.external_id;
    const fieldError = el("span", { class: "error", id: `${id}-error`, role: "alert" });
    const input = el("input", { type: "text", id, maxlength: "100", size: "10", "aria-describedby": `${id}-error` });
    const form = el("form", { class: "inline", novalidate: true },
      el("label", { for: id, class: "visually-hidden" }, fill(t.linkTo, { name: who })), input,
      el("button", { type: "submit", class: "quiet", "aria-label": `${t.link}: ${who}` }, t.link), fieldError);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      fieldError.textContent = "";
      try {
        const linked = await call("PUT", `/api/v1/roster/links/${learner.learner_id}`, { employee_id: input.value.trim() });
        status.textContent = fill(t.linkedTo, { name: who, id: linked.employee_id, employee: linked.name });
        await load();
        afterLink();
        status.focus();
      } catch (failure) {
        fieldError.textContent = failure.message;
        input.focus();
      }
    });
    return form;
  }
  load();
  status.tabIndex = -1;
  const part = el("div", {}, el("h3", { id: "unmatched-title" }, t.unmatched), el("p", { class: "muted" }, t.unmatchedHelp), status, error, box);
  return { part, reload: load };
}

// The roster section for the signed-in person: import for an administrator, search for HR
// readers (a principal sees their school only), the unmatched learners for the district's readers.
export function rosterPage(kit) {
  const { el, session } = kit;
  if (!session.scopes.includes("hr:read")) return [];
  const t = T[kit.lang];
  const admin = session.scopes.includes("admin");
  const search = searchPart(kit, t, admin);
  // A principal reads their school's roster only; the unmatched learners are the district's.
  const unmatched = session.school ? null : unmatchedPart(kit, t, admin, search.reload);
  const parts = [el("h2", { id: "roster-title" }, t.roster), el("p", { class: "muted" }, t.rosterHelp)];
  // A new roster may match learners that matched no one: both lists are read again.
  if (admin) parts.push(uploadForm(kit, t, () => { search.reload(); if (unmatched) unmatched.reload(); }));
  parts.push(search.part);
  if (unmatched) parts.push(unmatched.part);
  return [el("section", { id: "roster", "aria-labelledby": "roster-title" }, parts)];
}
