// The console's completions page: filters (school, role, module, dates), the records in a table,
// the exports of the same filters as downloads, and charts of completion by school and by role
// (hand-written SVG, each with its figures as text and a table). On the public JSON API
// (/api/v1/completions, /completions/export.*, /summaries/{schools,roles}) with the console
// session's cookie; a principal's reads are limited to their school by the API itself.

const SVG = "http://www.w3.org/2000/svg";

const T = {
  en: {
    completions: "Completions", help: "Who completed which module, where and when. Narrow with the filters; the exports hold the same records.",
    school: "School code", role: "Job role code", module: "Module", allModules: "All modules",
    from: "Completed on or after", to: "Completed before", show: "Show", more: "Show more",
    yourSchool: "You see your school only ({school}).",
    none: "No completions match these filters. Clear a filter or widen the dates; completions appear here as staff finish modules.",
    when: "Completed", employee: "Employee", status: "Status", score: "Score", schoolCol: "School", roleCol: "Role",
    completed: "completed", voided: "voided", exports: "Download these records",
    csv: "CSV", xlsx: "Excel workbook", ndjson: "NDJSON",
    bySchool: "Completion by school", byRole: "Completion by role",
    ofModule: "share of active staff who completed {module}", ofAll: "share of active staff's modules completed (all modules)",
    inPeriod: "{what}, completed from {from} and before {to}", since: "{what}, completed from {from}",
    until: "{what}, completed before {to}",
    noRoster: "No active staff on the roster for these filters: upload the roster on the roster page to see completion by school and role.",
    figures: "The figures", group: "Group", staff: "Active staff", done: "Completed", percent: "Percent",
    summaryOf: "{name}: {percent}% ({done} of {total}).",
  },
  es: {
    completions: "Cursos completados", help: "Quién completó qué módulo, dónde y cuándo. Acote con los filtros; las descargas contienen los mismos registros.",
    school: "Código de escuela", role: "Código de puesto", module: "Módulo", allModules: "Todos los módulos",
    from: "Completado el o después del", to: "Completado antes del", show: "Mostrar", more: "Mostrar más",
    yourSchool: "Solo ve su escuela ({school}).",
    none: "Ningún curso completado coincide con estos filtros. Quite un filtro o amplíe las fechas; aparecen aquí a medida que el personal termina los módulos.",
    when: "Completado", employee: "Empleado", status: "Estado", score: "Puntuación", schoolCol: "Escuela", roleCol: "Puesto",
    completed: "completado", voided: "anulado", exports: "Descargar estos registros",
    csv: "CSV", xlsx: "Libro de Excel", ndjson: "NDJSON",
    bySchool: "Cursos completados por escuela", byRole: "Cursos completados por puesto",
    ofModule: "proporción del personal activo que completó {module}", ofAll: "proporción de los módulos del personal activo completados (todos los módulos)",
    inPeriod: "{what}, completados desde el {from} y antes del {to}", since: "{what}, completados desde el {from}",
    until: "{what}, completados antes del {to}",
    noRoster: "No hay personal activo en el personal para estos filtros: suba el personal en la página de personal para ver los cursos completados por escuela y por puesto.",
    figures: "Las cifras", group: "Grupo", staff: "Personal activo", done: "Completados", percent: "Porcentaje",
    summaryOf: "{name}: {percent} % ({done} de {total}).",
  },
};

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// One horizontal bar per group, its percentage written beside it; the chart's description
// says every figure, and a table under it holds them too.
function barChart(kit, t, id, title, subtitle, rows) {
  const { el } = kit;
  const figure = el("figure", { id, class: "chart" });
  figure.append(el("figcaption", { id: `${id}-title` }, `${title}: ${subtitle}`));
  if (!rows.length) {
    figure.append(el("p", {}, t.noRoster));
    return figure;
  }
  const W = 560, L = 170, R = 60, BAR = 22, GAP = 10, TOP = 6;
  const H = TOP + rows.length * (BAR + GAP);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc` });
  rows.forEach((row, i) => {
    const y = TOP + i * (BAR + GAP);
    const width = Math.max(row.total ? ((W - L - R) * row.done) / row.total : 0, 0);
    const label = row.name.length > 24 ? `${row.name.slice(0, 23)}…` : row.name;
    chart.append(svg("text", { x: L - 8, y: y + BAR * 0.7, "text-anchor": "end" }, label));
    chart.append(svg("rect", { class: "bar-track", x: L, y, width: W - L - R, height: BAR }));
    chart.append(svg("rect", { class: "bar", x: L, y, width, height: BAR }));
    chart.append(svg("text", { x: L + width + 6, y: y + BAR * 0.7 }, `${row.percent}%`));
  });
  const summaries = rows.map((row) => fill(t.summaryOf, row));
  chart.append(svg("desc", { id: `${id}-desc` }, summaries.join(" ")));
  figure.append(chart);
  const table = el("table", {},
    el("thead", {}, el("tr", {}, [t.group, t.staff, t.done, t.percent].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((row) => el("tr", {},
      el("th", { scope: "row" }, row.name), el("td", {}, String(row.total)), el("td", {}, String(row.done)),
      el("td", {}, `${row.percent}%`)))));
  figure.append(el("details", {}, el("summary", {}, t.figures), el("div", { class: "table", tabindex: "0", role: "region", "aria-label": `${title}: ${t.figures}` }, table)));
  return figure;
}

// A summary's groups as bars: one module's completions over active staff, or, for all modules,
// completed (employee, module) pairs over every pair.
function bars(summary, module) {
  const modules = module ? [module] : summary.modules;
  return summary.groups.map((g) => {
    const total = g.employees * modules.length;
    const done = modules.reduce((sum, m) => sum + (g.completed[m] || 0), 0);
    return { name: g.name || g.code || "—", total, done, percent: total ? Math.round((100 * done) / total) : 0 };
  });
}

// Where a problem's detail belongs: the filter its text names, else the form as a whole.
function fieldOf(detail) {
  if (/`from`|`to`|date/i.test(detail)) return "dates";
  if (/school/i.test(detail)) return "school";
  if (/module/i.test(detail)) return "module";
  if (/role/i.test(detail)) return "role";
  return "form";
}

export function completionsPage(kit) {
  const { el, call, session } = kit;
  if (!session.scopes.includes("hr:read")) return [];
  const t = T[kit.lang];
  const errors = {};
  const errorBox = (name) => (errors[name] = el("p", { class: "error", id: `filter-${name}-error`, role: "alert" }));
  const input = (name, label, attrs) => [
    el("label", { for: `filter-${name}` }, label),
    el("input", { id: `filter-${name}`, name, "aria-describedby": `filter-${name}-error`, ...attrs }),
  ];
  const schoolAttrs = session.school ? { type: "text", value: session.school, readonly: true } : { type: "text", maxlength: "200" };
  const moduleSelect = el("select", { id: "filter-module", name: "module", "aria-describedby": "filter-module-error" },
    el("option", { value: "" }, t.allModules));
  const form = el("form", { class: "filters", novalidate: true },
    el("div", {}, input("school", t.school, schoolAttrs), session.school ? el("p", { class: "muted" }, fill(t.yourSchool, session)) : null, errorBox("school")),
    el("div", {}, input("role", t.role, { type: "text", maxlength: "200" }), errorBox("role")),
    el("div", {}, el("label", { for: "filter-module" }, t.module), moduleSelect, errorBox("module")),
    el("div", {}, input("from", t.from, { type: "date", "aria-describedby": "filter-dates-error" }),
      input("to", t.to, { type: "date", "aria-describedby": "filter-dates-error" }), errorBox("dates")),
    el("div", {}, el("button", { type: "submit" }, t.show), errorBox("form")));
  // Focusable, so a keyboard user can scroll a wide table on a phone.
  const list = el("div", { class: "table", "aria-live": "polite", tabindex: "0", role: "region", "aria-label": t.completions });
  const downloads = el("p", { class: "downloads" });
  const charts = el("div", { class: "charts" });
  let cursor = null;
  let records = [];
  let titles = {};

  function query() {
    const params = new URLSearchParams();
    for (const name of ["school", "role", "module", "from", "to"]) {
      const value = form.elements[name].value.trim();
      if (value) params.set(name, value);
    }
    return params;
  }

  function showError(failure) {
    errors[fieldOf(failure.message)].textContent = failure.message;
  }

  async function load(more) {
    Object.values(errors).forEach((box) => (box.textContent = ""));
    const params = query();
    params.set("limit", "50");
    if (more && cursor) params.set("cursor", cursor);
    let page;
    try {
      page = await call("GET", `/api/v1/completions?${params}`);
    } catch (failure) {
      showError(failure);
      return;
    }
    records = more ? records.concat(page.items) : page.items;
    cursor = page.next_cursor;
    params.delete("limit");
    params.delete("cursor");
    const suffix = params.toString() ? `?${params}` : "";
    downloads.replaceChildren(`${t.exports}: `,
      ...[["csv", t.csv], ["xlsx", t.xlsx], ["ndjson", t.ndjson]].flatMap(([ext, label], i) => [
        i ? " · " : "", el("a", { href: `/api/v1/completions/export.${ext}${suffix}`, download: "", id: `export-${ext}` }, label)]));
    if (!records.length) {
      list.replaceChildren(el("p", {}, t.none));
    } else {
      const percent = (score) => (score === null || score === undefined ? "" : `${Math.round(score * 100)}%`);
      list.replaceChildren(el("table", { id: "completions-table" },
        el("caption", { class: "muted" }, t.completions),
        el("thead", {}, el("tr", {}, [t.when, t.employee, t.schoolCol, t.roleCol, t.module, t.status, t.score].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, records.map((r) => el("tr", {},
          el("td", {}, kit.when(r.outcome.completed_at)),
          el("th", { scope: "row" }, `${r.employee.name} (${r.employee.employee_id || r.employee.email})`),
          el("td", {}, r.placement.school_name || r.placement.school_code),
          el("td", {}, r.placement.role_title || r.placement.role_code),
          el("td", {}, r.module.title),
          el("td", {}, r.outcome.status === "voided" ? t.voided : t.completed),
          el("td", {}, percent(r.outcome.score_scaled))))),
      ), ...(cursor ? [el("button", { type: "button", class: "quiet", onclick: () => load(true) }, t.more)] : []));
    }
    if (!more) await drawCharts();
  }

  async function drawCharts() {
    const params = query();
    const module = params.get("module") || "";
    params.delete("module");  // the summaries hold every module; the dates narrow what counts
    let schools, roles;
    try {
      [schools, roles] = await Promise.all([
        call("GET", `/api/v1/summaries/schools?${params}`), call("GET", `/api/v1/summaries/roles?${params}`)]);
    } catch (failure) {
      showError(failure);
      return;
    }
    for (const id of schools.modules) if (!moduleSelect.querySelector(`option[value="${CSS.escape(id)}"]`)) {
      moduleSelect.append(el("option", { value: id }, titles[id] || id));
    }
    const what = module ? fill(t.ofModule, { module: titles[module] || module }) : t.ofAll;
    const [from, to] = [params.get("from"), params.get("to")];
    const template = from && to ? t.inPeriod : from ? t.since : to ? t.until : "{what}";
    const subtitle = fill(template, { what, from, to });
    charts.replaceChildren(
      barChart(kit, t, "chart-schools", t.bySchool, subtitle, bars(schools, module)),
      barChart(kit, t, "chart-roles", t.byRole, subtitle, bars(roles, module)));
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); load(false); });
  (async () => {
    try {  // titles for the module list; ids stand in if the catalog can't be read
      for (const m of await call("GET", `/api/v1/modules?lang=${kit.lang}`)) titles[m.id] = m.title;
    } catch (failure) { /* ids stand in for titles */ }
    await load(false);
  })();
  return [el("section", { id: "completions", "aria-labelledby": "completions-title" },
    el("h2", { id: "completions-title" }, t.completions), el("p", { class: "muted" }, t.help),
    form, downloads, list, charts)];
}
