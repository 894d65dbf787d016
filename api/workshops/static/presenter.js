// The presenter's screen of a live workshop: the join code and QR, the step's script with a
// countdown, the room's flipchart growing from the Server-Sent Events stream, and attendance.
//   /room/#token=<facilitator token>&workshop=<id>[&lang=es]   (no workshop: open one)
// The stream is read with the player's serverEvents (fetch: EventSource can't send the
// Authorization header); on a drop it reconnects with Last-Event-ID, so the list neither loses nor repeats an entry.

import { serverEvents } from "/player/stream.js";
import { paperItems } from "./paper.js";

const TEXT = {
  en: {
    skip: "Skip to content", presenter: "Workshop", open: "Open a workshop", modules: "Modules",
    cohort: "Cohort", join_here: "Join on your phone", step: "Step", time_left: "Time left",
    start: "Start", pause: "Pause", reset: "Reset", prev: "Previous step", next: "Next step",
    ahead: "Let participants work ahead", flipchart: "The room's flipchart", attendance: "Attendance",
    who: "Who was here", refresh: "Refresh the list", confirm: "Confirm attendance",
    close: "Close the workshop", live: "Live", reconnecting: "Reconnecting…", closed: "This workshop is closed.",
    respondents: "{n} submitted", waiting: "Shown once {n} have submitted.",
    confirmed: "Attendance confirmed for {n}; {c} completed a module.", no_token: "Open this page from your learning system, or with a facilitator token.",
    say: "Say", do: "Do", ask: "Ask", capture: "Capture",
    enter_paper: "Enter paper answers", paper_h: "Paper answers: {name}", form: "Form", save_paper: "Save the answers",
    cancel: "Cancel", saved_paper: "Saved {form} for {name}.", answer: "Answer", line: "Line {n}", add_line: "Add a line",
    order_hint: "Type each one's number as written on the paper, from 1.", row: "Row {n}", fix: "Check the marked answers.",
    not_on_paper: "Done in the LMS, not on paper.", print_h: "Personal packets", paper_size: "Paper",
    ahead_h: "List someone ahead", name: "Name", school: "School or department", add_person: "Add to the list", listed: "{name} is on the list.",
    print: "Print personal packets", packets_ready: "Open the personal packets (PDF)", preparing: "Preparing the packets…",
  },
  es: {
    skip: "Ir al contenido", presenter: "Taller", open: "Abrir un taller", modules: "Módulos",
    cohort: "Grupo", join_here: "Únase desde su teléfono", step: "Paso", time_left: "Tiempo restante",
    start: "Iniciar", pause: "Pausa", reset: "Reiniciar", prev: "Paso anterior", next: "Paso siguiente",
    ahead: "Permitir que avancen", flipchart: "El rotafolio del grupo", attendance: "Asistencia",
    who: "Quién estuvo", refresh: "Actualizar la lista", confirm: "Confirmar asistencia",
    close: "Cerrar el taller", live: "En vivo", reconnecting: "Reconectando…", closed: "Este taller está cerrado.",
    respondents: "{n} enviaron", waiting: "Se muestra cuando {n} hayan enviado.",
    confirmed: "Asistencia confirmada para {n}; {c} completaron un módulo.", no_token: "Abra esta página desde su sistema de aprendizaje o con un token de facilitador.",
    say: "Decir", do: "Hacer", ask: "Preguntar", capture: "Anotar",
    enter_paper: "Registrar respuestas en papel", paper_h: "Respuestas en papel: {name}", form: "Formulario", save_paper: "Guardar las respuestas",
    cancel: "Cancelar", saved_paper: "Se guardó {form} de {name}.", answer: "Respuesta", line: "Línea {n}", add_line: "Agregar una línea",
    order_hint: "Escriba el número de cada uno como está en el papel, desde el 1.", row: "Fila {n}", fix: "Revise las respuestas marcadas.",
    not_on_paper: "Se hace en la plataforma, no en papel.", print_h: "Cuadernillos personales", paper_size: "Papel",
    ahead_h: "Anotar a alguien antes", name: "Nombre", school: "Escuela o departamento", add_person: "Agregar a la lista", listed: "{name} está en la lista.",
    print: "Imprimir cuadernillos personales", packets_ready: "Abrir los cuadernillos personales (PDF)", preparing: "Preparando los cuadernillos…",
  },
};
const params = new URLSearchParams(window.location.hash.slice(1));
const lang = params.get("lang") === "es" || (!params.get("lang") && navigator.language.startsWith("es")) ? "es" : "en";
const t = (key, vars = {}) => TEXT[lang][key].replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));
const token = params.get("token");
let workshopId = params.get("workshop");
history.replaceState(null, "", window.location.pathname); // the token must not linger in the bar
const $ = (id) => document.getElementById(id);
const S = { steps: [], modules: [], room: null, chart: {}, counts: {}, last: "", seconds: 0, timer: null };

async function api(path, options = {}) {
  const headers = { Authorization: "Bearer " + token, Accept: "application/json", "Accept-Language": lang };
  if (options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw Object.assign(new Error(problem.detail || response.statusText), { errors: problem.errors || [] });
  }
  return response;
}
const say = (text) => { $("status").textContent = text; };

function translate() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
}

async function openForm() {
  const modules = await (await api("/api/v1/modules?lang=" + lang)).json();
  const list = $("module-list");
  for (const m of modules) {
    const label = document.createElement("label");
    const box = Object.assign(document.createElement("input"), { type: "checkbox", value: m.id, name: "module" });
    label.append(box, " " + m.title);
    list.append(label, document.createElement("br"));
  }
  $("open-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = [...list.querySelectorAll("input:checked")].map((i) => i.value);
    try {
      const body = JSON.stringify({ modules: chosen, cohort: $("cohort").value });
      const opened = await (await api("/api/v1/workshops", { method: "POST", body })).json();
      workshopId = opened.id;
      $("open").hidden = true;
      await run();
    } catch (error) { say(error.message); }
  });
  $("open").hidden = false; // once its handler is attached
}

async function run() {
  const workshop = await (await api(`/api/v1/workshops/${workshopId}`)).json();
  $("title").textContent = workshop.title || t("presenter");
  $("code").textContent = workshop.code;
  $("join-url").textContent = workshop.join_url;
  const qr = await (await api(`/api/v1/workshops/${workshopId}/qr.svg`)).blob();
  $("qr").src = URL.createObjectURL(qr);
  $("qr").alt = workshop.join_url;
  for (const id of workshop.modules) {
    // HTML, for the paper forms' labels; the script's steps are read as text.
    const module = await (await api(`/api/v1/modules/${id}/facilitator?lang=${lang}&format=html`)).json();
    S.modules.push(module);
    S.steps.push(...module.facilitator_script);
  }
  $("prev").addEventListener("click", () => move({ step: Math.max(0, S.room.step - 1) }));
  $("next").addEventListener("click", () => move({ step: Math.min(S.steps.length - 1, S.room.step + 1) }));
  $("ahead").addEventListener("change", (e) => move({ allow_ahead: e.target.checked }));
  $("close").addEventListener("click", () => move({ status: "closed" }));
  $("timer-go").addEventListener("click", toggleTimer);
  $("timer-reset").addEventListener("click", () => resetTimer());
  $("refresh").addEventListener("click", people);
  $("people-form").addEventListener("submit", confirmAttendance);
  $("paper-form").addEventListener("submit", savePaper);
  $("paper-cancel").addEventListener("click", closePaper);
  $("paper-choice").addEventListener("change", showPaperForm);
  $("print").addEventListener("click", printPackets);
  $("ahead-form").addEventListener("submit", listAhead);
  await people();
  // Shown only now: a form sent before its handler is attached would reload the page without
  // its token.
  $("room").hidden = false;
  listen();
}

async function move(change) {
  try { await api(`/api/v1/workshops/${workshopId}/state`, { method: "PATCH", body: JSON.stringify(change) }); }
  catch (error) { say(error.message); }
}

function showState(room) {
  const stepChanged = !S.room || S.room.step !== room.step;
  S.room = room;
  const step = S.steps[room.step];
  $("step-no").textContent = `${room.step + 1} / ${S.steps.length}`;
  $("step-kind").textContent = step ? t(step.kind) : "";
  $("step-text").innerHTML = step ? step.text : ""; // the API's sanitized HTML (format=html)
  $("ahead").checked = room.allow_ahead;
  $("prev").disabled = room.step === 0;
  $("next").disabled = room.step >= S.steps.length - 1 || room.status === "closed";
  if (room.status === "closed") say(t("closed"));
  if (stepChanged) resetTimer();
}

function resetTimer() {
  clearInterval(S.timer); S.timer = null;
  const step = S.room && S.steps[S.room.step];
  S.seconds = Math.round((step ? step.minutes : 0) * 60);
  $("timer-go").textContent = t("start");
  tick(0);
}
function tick(by) {
  S.seconds = Math.max(0, S.seconds - by);
  $("timer").textContent = `${Math.floor(S.seconds / 60)}:${String(S.seconds % 60).padStart(2, "0")}`;
  if (S.seconds === 0 && S.timer) { clearInterval(S.timer); S.timer = null; $("timer-go").textContent = t("start"); }
}
function toggleTimer() {
  if (S.timer) { clearInterval(S.timer); S.timer = null; $("timer-go").textContent = t("start"); return; }
  S.timer = setInterval(() => tick(1), 1000);
  $("timer-go").textContent = t("pause");
}

function addEntry(event) {
  const form = `${event.module_id}/${event.form_id}`;
  S.counts[form] = event.respondents;
  for (const [item, entries] of Object.entries(event.items || {})) {
    const list = (S.chart[`${form}/${item}`] ||= new Map());
    for (const entry of entries) {
      const seen = list.get(entry.key) || { text: entry.text, count: 0 };
      seen.count += 1;
      list.set(entry.key, seen);
    }
  }
  drawChart();
}
function drawChart() {
  const chart = $("chart");
  chart.replaceChildren();
  for (const [form, n] of Object.entries(S.counts)) {
    const p = document.createElement("p");
    p.textContent = `${form.split("/")[1]}: ${t("respondents", { n })}`;
    chart.append(p);
    for (const [key, list] of Object.entries(S.chart)) {
      if (!key.startsWith(form + "/")) continue;
      const h = document.createElement("h3");
      h.textContent = key.split("/")[2];
      const ul = document.createElement("ul");
      ul.className = "chart";
      for (const { text, count } of [...list.values()].sort((a, b) => b.count - a.count)) {
        const li = document.createElement("li");
        const c = Object.assign(document.createElement("span"), { className: "count", textContent: count });
        li.append(text, c);
        ul.append(li);
      }
      chart.append(h, ul);
    }
  }
}

function dispatch(message) {
  if (message.id) S.last = message.id;
  const event = JSON.parse(message.data);
  if (message.event === "state") showState(event.state);
  else if (message.event === "entry") addEntry(event);
}

async function listen() {
  for (;;) {
    try {
      const headers = { Authorization: "Bearer " + token, ...(S.last ? { "Last-Event-ID": S.last } : {}) };
      for await (const message of serverEvents(`/api/v1/workshops/${workshopId}/stream`, headers, () => say(t("live")))) {
        dispatch(message);
      }
    } catch (error) { /* dropped: reconnect below */ }
    say(t("reconnecting"));
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function people() {
  const listed = await (await api(`/api/v1/workshops/${workshopId}/participants`)).json();
  const ul = $("people");
  // A refresh keeps the boxes the facilitator has already ticked.
  const ticked = new Set([...ul.querySelectorAll("input:checked")].map((i) => i.value));
  ul.replaceChildren();
  for (const p of listed) {
    const li = document.createElement("li");
    const label = document.createElement("label");
    const box = Object.assign(document.createElement("input"), { type: "checkbox", value: p.learner_id, checked: p.attended || ticked.has(p.learner_id) });
    label.append(box, ` ${p.name} (${p.school})`);
    const paper = Object.assign(document.createElement("button"), { type: "button", className: "small", textContent: t("enter_paper") });
    paper.setAttribute("aria-label", `${t("enter_paper")}: ${p.name}`);
    paper.addEventListener("click", () => openPaper(p, paper));
    li.append(label, " ", paper);
    ul.append(li);
  }
}

async function confirmAttendance(event) {
  event.preventDefault();
  const ids = [...$("people").querySelectorAll("input:checked")].map((i) => i.value);
  if (!ids.length) return;
  try {
    const done = await (await api(`/api/v1/workshops/${workshopId}/attendance`, { method: "PUT", body: JSON.stringify({ learner_ids: ids }) })).json();
    say(t("confirmed", { n: done.attended, c: done.completions }));
  } catch (error) { say(error.message); }
}


// --- Paper answers: the facilitator types in what a participant wrote on their packet ---------

const P = { person: null, opener: null, items: null };
const paperForms = () => S.modules.flatMap((m) => m.forms.map((f) => ({ module: m, form: f })));

function openPaper(person, opener) {
  Object.assign(P, { person, opener });
  $("paper-h").textContent = t("paper_h", { name: person.name });
  const select = $("paper-choice");
  select.replaceChildren(...paperForms().map(({ module, form }, i) => Object.assign(document.createElement("option"), { value: String(i), textContent: S.modules.length > 1 ? `${module.title}: ${form.title}` : form.title })));
  showPaperForm();
  $("paper").hidden = false;
  $("paper-h").focus();
}

function showPaperForm() {
  const { form } = paperForms()[Number($("paper-choice").value)];
  P.items = paperItems(form, t);
  $("paper-items").replaceChildren(P.items.element);
  $("paper-alert").textContent = "";
}

function closePaper() {
  $("paper").hidden = true;
  if (P.opener && P.opener.isConnected) P.opener.focus();
}

async function savePaper(event) {
  event.preventDefault();
  const { module, form } = paperForms()[Number($("paper-choice").value)];
  const body = JSON.stringify({ module_id: module.id, form_id: form.id, answers: P.items.read() });
  const url = `/api/v1/workshops/${workshopId}/participants/${P.person.learner_id}/paper?lang=${lang}`;
  try {
    await api(url, { method: "POST", body });
    say(t("saved_paper", { form: form.title, name: P.person.name }));
    closePaper();
  } catch (error) {
    // The item's own message beside it; the whole problem in the form's alert and the status.
    P.items.problems(error.errors || []);
    $("paper-alert").textContent = error.message;
    say(error.message);
  }
}

// Someone expected: listed now, so their packet (with their own QR code) prints before the session.
async function listAhead(event) {
  event.preventDefault();
  const body = JSON.stringify({ name: $("ahead-name").value, school: $("ahead-school").value });
  try {
    const listed = await (await api(`/api/v1/workshops/${workshopId}/participants`, { method: "POST", body })).json();
    $("ahead-form").reset();
    await people();
    say(t("listed", { name: listed.name }));
    $("ahead-name").focus();
  } catch (error) { say(error.message); }
}

async function printPackets() {
  const link = $("packets-link");
  link.hidden = true;
  say(t("preparing"));
  try {
    const pdf = await (await api(`/api/v1/workshops/${workshopId}/packets.pdf?lang=${lang}&paper=${$("paper-size").value}`)).blob();
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(pdf);
    link.hidden = false;
    say(t("packets_ready"));
    link.focus();
  } catch (error) { say(error.message); }
}

translate();
if (!token) say(t("no_token"));
else if (workshopId) run().catch((error) => say(error.message));
else openForm().catch((error) => say(error.message));
