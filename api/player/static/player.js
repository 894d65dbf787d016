// Front Office player: the reference client of the public JSON API. No build step, no framework.
//
// How it starts: an LTI launch (or any district page) opens
//   /player/#token=<learner token>&module=<module id>&lang=<es or empty>&view=learner|facilitator|picker[&dl=<id>]
// The fragment never reaches a server. It is read once, removed from the address bar, and kept in
// sessionStorage (this tab only; no cookies), so a reload continues where the learner was.
// Every call is `fetch(path, {headers: {Authorization: "Bearer " + token}})` to /api/v1/...
// Sections: API client · text · DOM helpers · learner view (steps, forms, items, results,
// completion) · facilitator view · deep-linking picker · start.

import { Refused, serverEvents } from "./stream.js";

"use strict";

const STORE = "frontoffice.player";
const SAVE_DELAY_MS = 700;

// --- State --------------------------------------------------------------------------------------

const S = {
  launch: null, // {token, module, lang, view, dl}
  ui: "en", // language of the interface, the language the content came in
  module: null, // LearnerModule
  steps: [],
  step: 0,
  attempts: {}, // form id -> AttemptView (the latest)
  answers: {}, // form id -> answers being edited (the draft)
  results: {}, // form id -> SubmitResult of a submit in this page
  progress: null, // ModuleProgress of this module
  timers: {},
};

// --- API client ---------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || "HTTP " + status);
    this.status = status;
    this.problem = problem || {};
  }
}

async function api(method, path, body, extra) {
  const headers = { Authorization: "Bearer " + S.launch.token, Accept: "application/json" };
  const init = { method, headers, credentials: "omit", cache: "no-cache" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  Object.assign(init, extra || {});
  const response = await fetch(path, init);
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch (_) {
      /* not JSON */
    }
    throw new ApiError(response.status, problem);
  }
  return response;
}

async function getJSON(path) {
  return (await api("GET", path)).json();
}

function langQuery(sep) {
  const lang = S.launch.lang;
  return lang ? sep + "lang=" + encodeURIComponent(lang) : "";
}

const enc = encodeURIComponent;

// --- Text ---------------------------------------------------------------------------------------

const TEXT = {
  en: {
    steps: "Steps",
    step: "Step {n} of {total}",
    overview: "Start here",
    finish: "Finish",
    goals: "What you will be able to do",
    about: "About {minutes} minutes",
    scenarioRole: "Your role: {role}",
    role_front_office: "front office",
    role_bus_driver: "bus driver",
    role_cafeteria: "cafeteria staff",
    role_custodian: "custodian",
    role_any: "any staff member",
    whatNow: "What do you do?",
    youChose: "You chose:",
    scenarioEnd: "How it ended",
    restart: "Start this situation again",
    finishScenario: "Take this situation to its end first.",
    minutes: "{minutes} min",
    instructions: "How this module works",
    materials: "You will use",
    begin: "Begin",
    previous: "Previous",
    next: "Next",
    saving: "Saving…",
    saved: "Draft saved",
    notSaved: "Not saved: {detail}",
    submit: "Submit {title}",
    submitted: "Submitted",
    submitting: "Submitting…",
    fixFirst: "Please fix the questions marked below, then submit again.",
    required: "Required",
    optional: "Optional",
    addEntry: "Add another",
    removeEntry: "Remove",
    entry: "Entry {n}",
    addRow: "Add a row",
    removeRow: "Remove row {n}",
    row: "Row {n}",
    moveUp: "Move up",
    moveDown: "Move down",
    position: "Position {n}",
    chars: "{n} of {max} characters",
    atLeastChars: "Write at least {min} characters.",
    atLeastEntries: "Name at least {min}.",
    atLeastRows: "Fill in at least {min} rows.",
    answerThis: "Answer this question.",
    yourAnswer: "Your answer",
    anonymous: "Anonymous: your answers are only ever shown as group totals.",
    visibleTo: "Who sees your answers: {who}.",
    who_learner: "you",
    who_facilitator: "your facilitator",
    who_district: "your district",
    passMark: "You need {pct}% to pass.",
    attemptsLeft: "Attempts left: {n}.",
    score: "Your score: {pct}%",
    passed: "Passed",
    notPassed: "Not passed yet",
    correct: "Correct",
    incorrect: "Not quite",
    partly: "Partly right",
    correctAnswer: "The answer:",
    tryAgain: "Try again",
    noMoreAttempts: "You have used every attempt at this form.",
    listCompare: "Compared with the course list",
    matched: "You named",
    missed: "You could add",
    extra: "Your own additions",
    combined: "What your colleagues named",
    combinedCount: "{n} people answered",
    combinedCount_one: "1 person answered",
    home: "Course home",
    yourModules: "Your modules",
    st_not_started: "Not started",
    st_in_progress: "In progress",
    st_completed: "Completed",
    openModule: "Start",
    continueModule: "Continue",
    reviewModule: "Review",
    resume: "Continue where you left off: {title}",
    courseProgress: "{done} of {total} modules completed · about {minutes} minutes left",
    transcript: "Your transcript",
    transcriptEmpty: "Your completed modules and their credit will be listed here.",
    totalCredit: "Total credit: {minutes} minutes",
    notTranslated: "This module is not translated into {language} yet; it is shown in English.",
    moduleMissing: "We can't find this module",
    moduleMissingBody: "The link may be old, or the module may have been renamed. Your course home lists every module you can take.",
    certificateFor: "Certificate: {title}",
    markChosenRight: "✓ Your answer: right",
    markChosenWrong: "✗ Your answer: not right",
    markRight: "✓ The right answer",
    markPlacedRight: "✓ Right",
    markPlacedWrong: "✗ Not right",
    belongsIn: "✗ Belongs in: {category}",
    namedBy: "named by {n}",
    inReference: "on the course list",
    combinedEmpty: "Nobody else has answered yet. Come back later to compare.",
    combinedHidden: "The group's list appears once {n} people have answered. Come back later to compare.",
    handout: "Handout",
    goToForm: "Go to {title}",
    completeTitle: "Module complete",
    completeBody: "Well done. Your completion of {title} has been recorded.",
    completedOn: "Completed on {date}",
    dueOn: "Due {date}",
    overdue: "Overdue: it was due {date}",
    credit: "Professional-development credit: {minutes} minutes",
    certificateCode: "Certificate code: {code}",
    certificate: "Download your certificate (PDF)",
    certificateLoading: "Preparing your certificate…",
    certificateSaved: "Save your certificate",
    certificateMissing: "Your certificate is not available yet. Try again later; your completion is recorded.",
    notComplete: "Not complete yet",
    remaining: "To complete this module:",
    req_submit: "Submit {form}",
    req_pass: "Pass {form} ({pct}% or more)",
    done: "done",
    seeCompletion: "See your completion",
    backToCourse: "Return to your course",
    cmi5Failed: "This module could not start from your course",
    sessionEnded: "Your session has ended",
    sessionEndedBody: "Open the module again from your learning system to continue. Your answers are saved.",
    noLaunch: "Open a module from your learning system",
    noLaunchBody: "This player opens from a link in your district's learning system. Go back there and choose the module again.",
    error: "Something went wrong",
    retry: "Try again",
    facilitator: "Facilitator guide",
    script: "Session script",
    scriptStep: "Script step {n} of {total}",
    previousStep: "Previous step",
    nextStep: "Next step",
    kind_say: "Say",
    kind_do: "Do",
    kind_ask: "Ask",
    kind_capture: "Capture",
    kind_note: "Note",
    learnerView: "Open the learner view",
    picker: "Choose modules for your course",
    pickerBody: "Select the modules to add to your course, then add them. Each one becomes an assignment in your learning system.",
    addModules: "Add {n} selected to the course",
    addNone: "Select at least one module",
    adding: "Adding…",
    modules: "Modules",
    roomFollow: "Live workshop: the room is on “{where}”.",
    roomStart: "Live workshop: the room is starting. The facilitator opens each step.",
    roomAhead: "Live workshop: you may work ahead.",
    roomWait: "The facilitator opens the next step",
    roomClosed: "The workshop has ended; work through the rest at your own pace.",
  },
  es: {
    steps: "Pasos",
    step: "Paso {n} de {total}",
    overview: "Empiece aquí",
    finish: "Final",
    goals: "Lo que podrá hacer",
    about: "Unos {minutes} minutos",
    scenarioRole: "Su función: {role}",
    role_front_office: "oficina principal",
    role_bus_driver: "chofer",
    role_cafeteria: "personal de cafetería",
    role_custodian: "conserje",
    role_any: "cualquier miembro del personal",
    whatNow: "¿Qué hace usted?",
    youChose: "Usted eligió:",
    scenarioEnd: "Cómo terminó",
    restart: "Empezar esta situación de nuevo",
    finishScenario: "Primero lleve esta situación hasta el final.",
    minutes: "{minutes} min",
    instructions: "Cómo funciona este módulo",
    materials: "Usará",
    begin: "Comenzar",
    previous: "Anterior",
    next: "Siguiente",
    saving: "Guardando…",
    saved: "Borrador guardado",
    notSaved: "No se guardó: {detail}",
    submit: "Enviar {title}",
    submitted: "Enviado",
    submitting: "Enviando…",
    fixFirst: "Corrija las preguntas marcadas abajo y vuelva a enviar.",
    required: "Obligatoria",
    optional: "Opcional",
    addEntry: "Añadir otra",
    removeEntry: "Quitar",
    entry: "Respuesta {n}",
    addRow: "Añadir una fila",
    removeRow: "Quitar la fila {n}",
    row: "Fila {n}",
    moveUp: "Subir",
    moveDown: "Bajar",
    position: "Posición {n}",
    chars: "{n} de {max} caracteres",
    atLeastChars: "Escriba al menos {min} caracteres.",
    atLeastEntries: "Nombre al menos {min}.",
    atLeastRows: "Complete al menos {min} filas.",
    answerThis: "Responda esta pregunta.",
    yourAnswer: "Su respuesta",
    anonymous: "Anónimo: sus respuestas solo se muestran como totales del grupo.",
    visibleTo: "Quién ve sus respuestas: {who}.",
    who_learner: "usted",
    who_facilitator: "su facilitador",
    who_district: "su distrito",
    passMark: "Necesita un {pct}% para aprobar.",
    attemptsLeft: "Intentos restantes: {n}.",
    score: "Su puntuación: {pct}%",
    passed: "Aprobado",
    notPassed: "Todavía no aprobado",
    correct: "Correcto",
    incorrect: "No exactamente",
    partly: "En parte",
    correctAnswer: "La respuesta:",
    tryAgain: "Intentar de nuevo",
    noMoreAttempts: "Ha usado todos los intentos de este formulario.",
    listCompare: "Comparado con la lista del curso",
    matched: "Usted nombró",
    missed: "Podría añadir",
    extra: "Sus propias respuestas",
    combined: "Lo que nombraron sus colegas",
    combinedCount: "{n} personas respondieron",
    combinedCount_one: "1 persona respondió",
    home: "Inicio del curso",
    yourModules: "Sus módulos",
    st_not_started: "Sin empezar",
    st_in_progress: "En curso",
    st_completed: "Completado",
    openModule: "Empezar",
    continueModule: "Continuar",
    reviewModule: "Repasar",
    resume: "Continúe donde lo dejó: {title}",
    courseProgress: "{done} de {total} módulos completados · quedan unos {minutes} minutos",
    transcript: "Su expediente",
    transcriptEmpty: "Aquí aparecerán los módulos que complete y su crédito.",
    totalCredit: "Crédito total: {minutes} minutos",
    notTranslated: "Este módulo aún no está traducido al {language}; se muestra en inglés.",
    moduleMissing: "No encontramos este módulo",
    moduleMissingBody: "Puede que el enlace sea antiguo o que el módulo haya cambiado de nombre. El inicio del curso muestra todos los módulos que puede hacer.",
    certificateFor: "Certificado: {title}",
    markChosenRight: "✓ Su respuesta: correcta",
    markChosenWrong: "✗ Su respuesta: incorrecta",
    markRight: "✓ La respuesta correcta",
    markPlacedRight: "✓ Correcto",
    markPlacedWrong: "✗ No va ahí",
    belongsIn: "✗ Va en: {category}",
    namedBy: "nombrado por {n}",
    inReference: "en la lista del curso",
    combinedEmpty: "Nadie más ha respondido todavía. Vuelva más tarde para comparar.",
    combinedHidden: "La lista del grupo aparece cuando hayan respondido {n} personas. Vuelva más tarde para comparar.",
    handout: "Lectura",
    goToForm: "Ir a {title}",
    completeTitle: "Módulo completado",
    completeBody: "Bien hecho. Se ha registrado que completó {title}.",
    completedOn: "Completado el {date}",
    dueOn: "Fecha límite: {date}",
    overdue: "Atrasado: la fecha límite era el {date}",
    credit: "Crédito de desarrollo profesional: {minutes} minutos",
    certificateCode: "Código del certificado: {code}",
    certificate: "Descargar su certificado (PDF)",
    certificateLoading: "Preparando su certificado…",
    certificateSaved: "Guardar su certificado",
    certificateMissing: "Su certificado todavía no está disponible. Inténtelo más tarde; su finalización está registrada.",
    notComplete: "Todavía no completado",
    remaining: "Para completar este módulo:",
    req_submit: "Enviar {form}",
    req_pass: "Aprobar {form} ({pct}% o más)",
    done: "hecho",
    seeCompletion: "Ver su finalización",
    backToCourse: "Volver a su curso",
    cmi5Failed: "Este módulo no pudo iniciarse desde su curso",
    sessionEnded: "Su sesión ha terminado",
    sessionEndedBody: "Vuelva a abrir el módulo desde su sistema de aprendizaje para continuar. Sus respuestas están guardadas.",
    noLaunch: "Abra un módulo desde su sistema de aprendizaje",
    noLaunchBody: "Este reproductor se abre desde un enlace del sistema de aprendizaje de su distrito. Vuelva allí y elija el módulo de nuevo.",
    error: "Algo salió mal",
    retry: "Intentar de nuevo",
    facilitator: "Guía del facilitador",
    script: "Guion de la sesión",
    scriptStep: "Paso {n} de {total} del guion",
    previousStep: "Paso anterior",
    nextStep: "Paso siguiente",
    kind_say: "Diga",
    kind_do: "Haga",
    kind_ask: "Pregunte",
    kind_capture: "Anote",
    kind_note: "Nota",
    learnerView: "Abrir la vista del participante",
    picker: "Elija módulos para su curso",
    pickerBody: "Seleccione los módulos que quiere añadir a su curso y añádalos. Cada uno será una tarea en su sistema de aprendizaje.",
    addModules: "Añadir {n} seleccionados al curso",
    addModules_one: "Añadir 1 seleccionado al curso",
    addNone: "Seleccione al menos un módulo",
    adding: "Añadiendo…",
    modules: "Módulos",
    roomFollow: "Taller en vivo: el grupo está en «{where}».",
    roomStart: "Taller en vivo: el grupo está comenzando. El facilitador abre cada paso.",
    roomAhead: "Taller en vivo: puede avanzar por su cuenta.",
    roomWait: "El facilitador abre el siguiente paso",
    roomClosed: "El taller terminó; complete el resto a su propio ritmo.",
  },
};

function t(key, params) {
  const table = TEXT[S.ui] || TEXT.en;
  // Plural forms by the language's rules: `key_one` where the language has one ("1 person").
  if (params && typeof params.n === "number") {
    const plural = key + "_" + new Intl.PluralRules(S.ui).select(params.n);
    if (table[plural]) key = plural;
  }
  let text = table[key] ?? TEXT.en[key] ?? key;
  for (const [name, value] of Object.entries(params || {})) text = text.replaceAll("{" + name + "}", value);
  return text;
}

function setLanguage(lang) {
  S.ui = TEXT[lang] ? lang : "en";
  document.documentElement.lang = lang || "en";
}

function pct(fraction) {
  return Math.round(fraction * 100);
}

// Feedback from a submit comes as Markdown. A small, safe subset: everything is escaped first,
// then paragraphs, bullet lists, **strong** and *em*.
function escapeHTML(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function markdown(text) {
  const inline = (s) =>
    escapeHTML(s)
      .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[^*])\*([^*]+)\*/g, "$1<em>$2</em>");
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((block) => {
      const lines = block.split("\n");
      if (lines.every((l) => /^\s*[-*] /.test(l) || /^\s{2,}\S/.test(l))) {
        const items = [];
        for (const line of lines) {
          if (/^\s*[-*] /.test(line)) items.push(line.replace(/^\s*[-*] /, ""));
          else items[items.length - 1] += " " + line.trim();
        }
        return "<ul>" + items.map((i) => "<li>" + inline(i) + "</li>").join("") + "</ul>";
      }
      return "<p>" + inline(lines.join(" ")) + "</p>";
    })
    .join("");
}

// --- DOM helpers --------------------------------------------------------------------------------

let uid = 0;
function nextId(prefix) {
  uid += 1;
  return (prefix || "fo") + "-" + uid;
}

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "html") el.innerHTML = value; // only ever server-sanitized HTML or markdown()
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function prose(html, cls) {
  return h("div", { class: "prose " + (cls || ""), html });
}

// A handout is a document of its own with its own h1; inside a step it sits under the step's h1.
function demote(root, by) {
  for (const heading of root.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const level = Math.min(6, Number(heading.tagName[1]) + by);
    const replacement = document.createElement("h" + level);
    replacement.append(...heading.childNodes);
    heading.replaceWith(replacement);
  }
  return root;
}

function main() {
  return document.getElementById("main");
}

function show(...children) {
  const m = main();
  m.replaceChildren(...children);
}

function focusHeading() {
  const heading = main().querySelector("h1, h2");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
  window.scrollTo(0, 0);
}

function status(text, kind) {
  const el = document.getElementById("save-status");
  el.textContent = text;
  el.dataset.kind = kind || "";
}

function showError(error) {
  if (error instanceof ApiError && error.status === 401) {
    show(h("section", { class: "card notice" }, h("h1", {}, t("sessionEnded")), h("p", {}, t("sessionEndedBody"))));
  } else {
    show(
      h(
        "section",
        { class: "card notice" },
        h("h1", {}, t("error")),
        h("p", {}, error.message),
        h("button", { type: "button", class: "button", onclick: () => start() }, t("retry")),
      ),
    );
  }
  focusHeading();
}

// --- Launch -------------------------------------------------------------------------------------

// In an LMS iframe a browser may deny a third-party page its storage: the player then keeps the
// launch in memory only (a reload needs a new launch from the LMS; the answers are on the server).
function tabStorage() {
  try {
    const storage = window.sessionStorage;
    storage.getItem(STORE);
    return storage;
  } catch (_) {
    return null;
  }
}

function readLaunch() {
  const hash = window.location.hash.slice(1);
  if (hash) {
    const params = new URLSearchParams(hash);
    if (params.get("token")) {
      const launch = {
        token: params.get("token"),
        module: params.get("module") || "",
        lang: params.get("lang") || "",
        view: params.get("view") || "learner",
        dl: params.get("dl") || "",
        step: 0,
      };
      const storage = tabStorage();
      if (storage) storage.setItem(STORE, JSON.stringify(launch));
      // The token must not linger in the address bar, history or a copied link.
      history.replaceState(null, "", window.location.pathname + window.location.search);
      return launch;
    }
  }
  try {
    const storage = tabStorage();
    return storage ? JSON.parse(storage.getItem(STORE) || "null") : null;
  } catch (_) {
    return null;
  }
}

function remember(changes) {
  Object.assign(S.launch, changes);
  const storage = tabStorage();
  if (storage) storage.setItem(STORE, JSON.stringify(S.launch));
}

function browserLanguage() {
  const wanted = navigator.languages || [navigator.language || "en"];
  return wanted.some((l) => l.toLowerCase().startsWith("es")) ? "es" : "";
}

// --- Learner view: steps ------------------------------------------------------------------------

// Steps: the overview, then the activities in order (consecutive activities on the same form
// share one step, so a form is filled in once, with their handouts above it), then the
// completion screen.
function buildSteps(module) {
  const steps = [{ kind: "overview" }];
  for (const activity of module.activities) {
    const last = steps[steps.length - 1];
    if (activity.form && last.kind === "activity" && last.form === activity.form) {
      last.activities.push(activity);
      if (activity.handout) last.handouts.push(activity.handout);
      continue;
    }
    const shown = activity.form && steps.some((s) => s.form === activity.form);
    steps.push({ kind: "activity", activities: [activity], form: shown ? null : activity.form, formLink: shown ? activity.form : null, handouts: activity.handout ? [activity.handout] : [] });
  }
  steps.push({ kind: "finish" });
  return steps;
}

function stepTitle(step) {
  if (step.kind === "overview") return t("overview");
  if (step.kind === "finish") return t("finish");
  if (step.activities.length > 1 && step.form) return formById(step.form).title;
  return step.activities[0].title;
}

function stepMinutes(step) {
  return step.kind === "activity" ? step.activities.reduce((sum, a) => sum + a.minutes, 0) : 0;
}

function formById(id) {
  return S.module.forms.find((f) => f.id === id);
}

function formDone(formId) {
  const attempt = S.attempts[formId];
  return !!attempt && attempt.status === "submitted";
}

function isComplete() {
  return !!(S.progress && S.progress.status === "completed");
}

async function loadProgress() {
  const all = await getJSON("/api/v1/me/progress");
  S.progress = all.find((p) => p.module_id === S.module.id) || null;
}

async function startLearner() {
  let response;
  try {
    response = await api("GET", "/api/v1/modules/" + enc(S.launch.module) + "?format=html" + langQuery("&"));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    show(h("section", { class: "card notice" }, h("h1", {}, t("moduleMissing")), h("p", {}, t("moduleMissingBody")), h("button", { type: "button", class: "button", onclick: () => goHome() }, t("home"))));
    focusHeading();
    return;
  }
  S.module = await response.json();
  const served = response.headers.get("Content-Language") || "en";
  // Asked for a language the module lacks: say so, in the language asked for where the player has it.
  const asked = (S.launch.lang || "").toLowerCase().split("-")[0];
  S.untranslated = asked && asked !== served ? asked : "";
  setLanguage(served);
  document.title = S.module.title + " · Front Office";
  document.getElementById("brand").textContent = S.module.title;
  S.steps = buildSteps(S.module);
  const room = findRoom(); // asked alongside the learner's progress
  await loadProgress();
  const latest = await Promise.all(
    S.module.forms.map((f) =>
      getJSON("/api/v1/me/modules/" + enc(S.module.id) + "/forms/" + enc(f.id) + "/attempts?lang=" + S.ui).then((list) => [f.id, list]),
    ),
  );
  for (const [formId, list] of latest) {
    if (list.length) setAttempt(formId, list[list.length - 1]);
  }
  // Resume where the learner left off: the step last open in this tab, else the first form not yet submitted.
  const open = S.progress && S.progress.status === "in_progress" ? S.steps.findIndex((s) => s.form && !formDone(s.form)) : 0;
  const saved = (S.launch.steps || {})[S.module.id] ?? Math.max(open, 0);
  S.room = await room;
  // In a room: where the room is (the facilitator's step), else no further than it lets them.
  const following = S.room && S.room.status === "open" && !S.room.allow_ahead && S.room.module_id === S.module.id;
  const first = following ? roomStep() : S.room ? Math.min(saved, roomLimit()) : saved;
  await goTo(Math.min(first, S.steps.length - 1), { focus: false });
  if (S.room) followRoom(S.room.workshop_id);
  performance.mark("fo-rendered");
}

// --- A live workshop: the player follows the room ---------------------------------------------
// A participant's player opens the step the facilitator has moved the room to and, unless the
// facilitator lets the room work ahead, opens no step past it (the server refuses such a submit
// too). The room's moves come as Server-Sent Events read with fetch (EventSource can't send the
// Authorization header); a dropped stream reconnects with Last-Event-ID.

async function findRoom() {
  try {
    const rooms = await getJSON("/api/v1/me/workshops");
    return rooms.find((r) => r.modules.includes(S.module.id)) || null;
  } catch (_) {
    return null; // the module works alone
  }
}

// The player's step for the room's activity in this module (the overview before any).
function roomStep() {
  const room = S.room;
  if (!room || room.module_id !== S.module.id || !room.activity) return 0;
  const index = S.steps.findIndex((s) => s.kind === "activity" && s.activities.some((a) => a.id === room.activity));
  return Math.max(index, 0);
}

// The last step the learner may open while the room holds the pace.
function roomLimit() {
  const room = S.room;
  if (!room || room.allow_ahead || room.status !== "open") return S.steps.length - 1;
  const here = room.modules.indexOf(S.module.id);
  const there = room.modules.indexOf(room.module_id);
  if (there > here) return S.steps.length - 1;
  return there < here ? 0 : roomStep();
}

function sayRoom() {
  const el = document.getElementById("room-status");
  if (!el) return;
  const room = S.room;
  if (!room) {
    el.textContent = "";
    return;
  }
  if (room.status !== "open") el.textContent = t("roomClosed");
  else if (room.allow_ahead) el.textContent = t("roomAhead");
  else if (room.module_id === S.module.id && roomStep() > 0) el.textContent = t("roomFollow", { where: stepTitle(S.steps[roomStep()]) });
  else el.textContent = t("roomStart");
}

async function roomMoved(room) {
  const before = S.room;
  const limit = roomLimit();
  S.room = room;
  sayRoom();
  const moved = !before || before.step !== room.step || before.module_id !== room.module_id;
  if (moved && room.status === "open" && room.module_id === S.module.id && roomStep() !== S.step) {
    await goTo(roomStep(), { focus: false });
  } else if (roomLimit() !== limit) {
    renderStep(); // what may be opened has changed (left alone otherwise: someone may be typing)
  }
}

async function followRoom(workshopId) {
  sayRoom();
  let last = "";
  while (S.room && S.room.status === "open") {
    try {
      const url = "/api/v1/me/workshops/" + enc(workshopId) + "/stream";
      const headers = { Authorization: "Bearer " + S.launch.token, ...(last ? { "Last-Event-ID": last } : {}) };
      for await (const message of serverEvents(url, headers)) {
        if (message.id) last = message.id;
        await roomMoved(JSON.parse(message.data).state);
      }
    } catch (error) {
      if (error instanceof Refused) return; // no longer in the room (or it is gone): the module works alone
      /* a dropped connection: reconnect below */
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function setAttempt(formId, attempt) {
  S.attempts[formId] = attempt;
  if (attempt.status === "draft") S.answers[formId] = structuredClone(attempt.answers || {});
}

async function goTo(index, options) {
  await flushSaves();
  S.step = index;
  // Steps with no form of their own (a handout) are done once read: kept per module in this tab.
  const seen = Object.assign({}, S.launch.seen);
  seen[S.module.id] = [...new Set([...(seen[S.module.id] || []), index])];
  remember({ step: index, seen, steps: Object.assign({}, S.launch.steps, { [S.module.id]: index }), last: S.module.id });
  const step = S.steps[index];
  if (step.form && !S.attempts[step.form]) {
    await startAttempt(step.form);
  }
  renderStep();
  if (!options || options.focus !== false) focusHeading();
}

async function startAttempt(formId) {
  const response = await api("POST", "/api/v1/me/modules/" + enc(S.module.id) + "/forms/" + enc(formId) + "/attempts?lang=" + S.ui);
  setAttempt(formId, await response.json());
}

function renderStep() {
  const step = S.steps[S.step];
  const total = S.steps.length;
  const body =
    step.kind === "overview" ? renderOverview() : step.kind === "finish" ? renderFinish() : renderActivity(step);
  const nav = h(
    "nav",
    { class: "pager", "aria-label": t("steps") },
    S.step > 0 ? h("button", { type: "button", class: "button secondary", onclick: () => goTo(S.step - 1) }, "← " + t("previous")) : h("span"),
    S.step < total - 1 && S.step + 1 > roomLimit()
      ? h("button", { type: "button", class: "button", disabled: true }, t("roomWait"))
      : S.step < total - 1
        ? h("button", { type: "button", class: "button", onclick: () => goTo(S.step + 1) }, (S.step === 0 ? t("begin") : t("next")) + " →")
        : h("span"),
  );
  show(h("div", { class: "layout" }, renderStepList(), h("div", { class: "content" }, body, nav)));
}

function renderStepList() {
  const needed = S.progress ? S.progress.requirements.length : 0;
  const met = S.progress ? S.progress.requirements.filter((g) => g.some((r) => r.met)).length : 0;
  const items = S.steps.map((step, i) => {
    const read = isComplete() || ((S.launch.seen || {})[S.module.id] || []).includes(i);
    const complete =
      step.kind === "activity" ? (step.form || step.formLink ? formDone(step.form || step.formLink) : read) : step.kind === "finish" && isComplete();
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: "steplink" + (complete ? " done" : ""),
          "aria-current": i === S.step ? "step" : null,
          disabled: i > roomLimit(),
          onclick: () => {
            S.stepsOpen = false;
            goTo(i);
          },
        },
        h("span", { class: "stepnum", "aria-hidden": "true" }, complete ? "✓" : String(i + 1)),
        h("span", {}, stepTitle(step)),
        complete ? h("span", { class: "visually-hidden" }, " (" + t("done") + ")") : null,
      ),
    );
  });
  const listId = nextId("steplist");
  const aside = h("aside", { class: "steps" + (S.stepsOpen ? " open" : "") });
  // On a phone the step list folds away behind this button; on a desktop it is always shown.
  const toggle = h(
    "button",
    {
      type: "button",
      class: "steptoggle",
      "aria-expanded": S.stepsOpen ? "true" : "false",
      "aria-controls": listId,
      onclick: () => {
        S.stepsOpen = !S.stepsOpen;
        aside.classList.toggle("open", S.stepsOpen);
        toggle.setAttribute("aria-expanded", String(S.stepsOpen));
      },
    },
    t("step", { n: S.step + 1, total: S.steps.length }) + ": " + t("steps"),
  );
  aside.append(
    h("p", { class: "homelink" }, h("button", { type: "button", class: "linklike", onclick: () => goHome() }, "← " + t("home"))),
    h("p", { class: "stepcount" }, t("step", { n: S.step + 1, total: S.steps.length })),
    toggle,
    h("progress", { max: String(needed || 1), value: String(met), "aria-label": t("remaining") + " " + met + "/" + needed }),
    h("nav", { "aria-label": t("steps"), id: listId, class: "stepnav" }, h("ol", { class: "steplist" }, items)),
  );
  return aside;
}

function untranslatedNotice() {
  if (!S.untranslated) return null;
  return h("p", { class: "note", role: "note", lang: TEXT[S.untranslated] ? S.untranslated : "en" }, untranslatedText(S.untranslated));
}

function renderOverview() {
  const m = S.module;
  return h(
    "section",
    { class: "card" },
    h("h1", {}, m.title),
    untranslatedNotice(),
    h("p", { class: "meta" }, t("about", { minutes: m.minutes })),
    prose(m.summary),
    h("h2", {}, t("goals")),
    h("ul", { class: "goals" }, m.goals.map((g) => h("li", {}, g))),
    h("h2", {}, t("instructions")),
    prose(m.learner_instructions),
    m.materials.length
      ? [h("h2", {}, t("materials")), h("ul", {}, m.materials.filter((x) => x.kind !== "flipchart" && x.kind !== "supplies").map((x) => h("li", {}, x.title)))]
      : null,
  );
}

function renderActivity(step) {
  const parts = [];
  parts.push(h("h1", {}, stepTitle(step)));
  parts.push(h("p", { class: "meta" }, t("minutes", { minutes: stepMinutes(step) })));
  for (const activity of step.activities) {
    parts.push(
      h(
        "div",
        { class: "activity" },
        step.activities.length > 1 ? h("h2", {}, activity.title) : null,
        prose(activity.instructions),
      ),
    );
  }
  for (const id of step.handouts) {
    const handout = S.module.handouts.find((x) => x.id === id);
    if (handout) parts.push(h("article", { class: "handout", "aria-label": t("handout") + ": " + handout.title }, demote(prose(handout.body), 2)));
  }
  const before = S.steps[S.step - 1];
  if (!step.form && !step.formLink && before && before.form && !formDone(before.form)) {
    parts.push(h("button", { type: "button", class: "button secondary", onclick: () => goTo(S.step - 1) }, t("goToForm", { title: formById(before.form).title })));
  }
  if (step.formLink) {
    const index = S.steps.findIndex((s) => s.form === step.formLink);
    parts.push(h("button", { type: "button", class: "button secondary", onclick: () => goTo(index) }, t("goToForm", { title: formById(step.formLink).title })));
  }
  if (step.form) parts.push(renderForm(formById(step.form)));
  return h("section", { class: "card" }, parts);
}

// --- Learner view: forms ------------------------------------------------------------------------

function policyNotes(form) {
  const notes = [];
  if (form.identity === "anonymous") notes.push(t("anonymous"));
  else notes.push(t("visibleTo", { who: form.visible_to.map((w) => t("who_" + w)).join(", ") }));
  if (form.pass_mark !== null && form.pass_mark !== undefined) notes.push(t("passMark", { pct: pct(form.pass_mark) }));
  const attempt = S.attempts[form.id];
  if (form.max_attempts && attempt && attempt.attempts_left !== null && attempt.attempts_left !== undefined) {
    notes.push(t("attemptsLeft", { n: attempt.attempts_left }));
  }
  return h("ul", { class: "policy" }, notes.map((n) => h("li", {}, n)));
}

function renderForm(form) {
  const attempt = S.attempts[form.id];
  const wrap = h("section", { class: "form", "aria-labelledby": "form-" + form.id });
  wrap.append(h("h2", { id: "form-" + form.id }, form.title));
  wrap.append(prose(form.instructions));
  wrap.append(policyNotes(form));
  if (!attempt) return wrap;
  if (attempt.status === "submitted") {
    wrap.append(renderResult(form, attempt));
    return wrap;
  }
  const answers = S.answers[form.id];
  const items = orderedItems(form, attempt);
  const formEl = h("form", { class: "items", novalidate: true, onsubmit: (e) => { e.preventDefault(); submitForm(form, formEl); } });
  const alert = h("div", { class: "form-alert", role: "alert" });
  formEl.append(alert);
  items.forEach((item, i) => formEl.append(renderItem(form, item, answers, i + 1, attempt, false)));
  formEl.append(h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, t("submit", { title: form.title }))));
  wrap.append(formEl);
  return wrap;
}

function orderedItems(form, attempt) {
  const byId = Object.fromEntries(form.items.map((i) => [i.id, i]));
  const order = attempt && attempt.item_order && attempt.item_order.length ? attempt.item_order : form.items.map((i) => i.id);
  return order.map((id) => byId[id]).filter(Boolean);
}

// A stable shuffle per attempt and item, so a reload shows the same order.
function seededShuffle(list, seed) {
  let x = 0;
  for (const c of seed) x = (Math.imul(x, 31) + c.charCodeAt(0)) | 0;
  const out = list.slice();
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) | 0;
    const j = Math.abs(x) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function changed(form) {
  clearTimeout(S.timers[form.id]);
  status(t("saving"), "saving");
  S.timers[form.id] = setTimeout(() => saveDraft(form.id), SAVE_DELAY_MS);
}

function cleanAnswers(form, answers) {
  const out = {};
  for (const item of form.items) {
    let value = answers[item.id];
    if (value === undefined || value === null) continue;
    if (item.type === "list") value = value.map((v) => v.trim()).filter(Boolean);
    if (item.type === "table") value = value.filter((row) => item.columns.some((c) => (row[c.id] || "").trim()));
    if ((item.type === "list" || item.type === "table" || item.type === "choice" || item.type === "scenario") && !value.length) continue;
    if (typeof value === "string" && !value.trim()) continue;
    out[item.id] = value;
  }
  return out;
}

async function saveDraft(formId) {
  delete S.timers[formId];
  const attempt = S.attempts[formId];
  if (!attempt || attempt.status !== "draft") return;
  try {
    const response = await api("PUT", "/api/v1/me/attempts/" + attempt.id + "/answers", { answers: cleanAnswers(formById(formId), S.answers[formId]) });
    const view = await response.json();
    S.attempts[formId] = view;
    status(t("saved"), "saved");
  } catch (error) {
    status(t("notSaved", { detail: error.message }), "error");
  }
}

async function flushSaves() {
  const pending = Object.keys(S.timers);
  for (const formId of pending) clearTimeout(S.timers[formId]);
  await Promise.all(pending.map((formId) => saveDraft(formId)));
}

// Leaving the page (closing the tab, the LMS moving on): send what is pending.
function saveOnExit() {
  for (const formId of Object.keys(S.timers)) {
    clearTimeout(S.timers[formId]);
    delete S.timers[formId];
    const attempt = S.attempts[formId];
    if (!attempt || attempt.status !== "draft") continue;
    api("PUT", "/api/v1/me/attempts/" + attempt.id + "/answers", { answers: cleanAnswers(formById(formId), S.answers[formId]) }, { keepalive: true }).catch(() => {});
  }
}

function validate(form, answers) {
  const problems = {};
  for (const item of form.items) {
    const value = answers[item.id];
    if (item.type === "extended_text") {
      const length = (value || "").trim().length;
      if (item.required && !length) problems[item.id] = t("answerThis");
      else if (length && length < item.min_length) problems[item.id] = t("atLeastChars", { min: item.min_length });
    } else if (item.type === "list") {
      const count = (value || []).filter((v) => v.trim()).length;
      if (count < item.min_entries) problems[item.id] = t("atLeastEntries", { min: item.min_entries });
    } else if (item.type === "table") {
      const rows = (value || []).filter((row) => item.columns.some((c) => (row[c.id] || "").trim()));
      if (rows.length < item.min_rows) problems[item.id] = t("atLeastRows", { min: item.min_rows });
    } else if (item.type === "choice" || item.type === "text_entry") {
      if (!value || !value.length || (typeof value === "string" && !value.trim())) problems[item.id] = t("answerThis");
    } else if (item.type === "classify") {
      if (item.entries.some((e) => !value || !value[e.id])) problems[item.id] = t("answerThis");
    } else if (item.type === "scenario") {
      if (!value || !value.length) problems[item.id] = t("finishScenario");
    } else if (item.type === "rating") {
      if (item.required && (value === undefined || value === null)) problems[item.id] = t("answerThis");
    } else if (item.type === "matrix") {
      if (item.required && item.statements.some((s) => !value || value[s.id] === undefined)) problems[item.id] = t("answerThis");
    }
  }
  return problems;
}

// An item marked invalid by a submit is checked again at each change, so a fixed item clears.
function recheck(form, item, answers) {
  const itemEl = main().querySelector('[data-item="' + CSS.escape(item.id) + '"].invalid');
  if (!itemEl) return;
  const message = validate(form, answers)[item.id] || "";
  itemEl.classList.toggle("invalid", !!message);
  itemEl.querySelector(".item-error").textContent = message;
  const formEl = itemEl.closest("form");
  if (formEl && !formEl.querySelector(".invalid")) formEl.querySelector(".form-alert").textContent = "";
}

function markProblems(formEl, problems) {
  let first = null;
  for (const itemEl of formEl.querySelectorAll("[data-item]")) {
    const message = problems[itemEl.dataset.item];
    itemEl.classList.toggle("invalid", !!message);
    itemEl.querySelector(".item-error").textContent = message || "";
    if (message && !first) first = itemEl;
  }
  formEl.querySelector(".form-alert").textContent = first ? t("fixFirst") : "";
  if (first) {
    const focusable = first.querySelector("input, textarea, button");
    (focusable || first).focus();
  }
  return !!first;
}

async function submitForm(form, formEl) {
  const answers = S.answers[form.id];
  if (markProblems(formEl, validate(form, answers))) return;
  const button = formEl.querySelector('button[type="submit"]');
  button.disabled = true;
  button.textContent = t("submitting");
  clearTimeout(S.timers[form.id]);
  delete S.timers[form.id];
  const attempt = S.attempts[form.id];
  try {
    const response = await api("POST", "/api/v1/me/attempts/" + attempt.id + "/submit?lang=" + S.ui, { answers: cleanAnswers(form, answers) }, {
      headers: {
        Authorization: "Bearer " + S.launch.token,
        "Content-Type": "application/json",
        "Idempotency-Key": "submit-" + attempt.id,
      },
    });
    const result = await response.json();
    S.attempts[form.id] = result.attempt;
    S.results[form.id] = result;
    delete S.answers[form.id];
    status(t("submitted"), "saved");
    await loadProgress();
    if (result.completion && form.scoring !== "automatic") {
      await goTo(S.steps.length - 1);
      return;
    }
    renderStep();
    // The result opens at the top of the screen (its comparison comes first, right under the
    // heading), whatever the browser's own scrolling on focus; the focus tells a screen reader.
    const heading = main().querySelector("#result-" + form.id);
    if (heading) {
      heading.scrollIntoView({ block: "start" });
      heading.focus({ preventScroll: true });
    }
  } catch (error) {
    button.disabled = false;
    button.textContent = t("submit", { title: form.title });
    if (error instanceof ApiError && error.status === 401) return showError(error);
    const problems = {};
    for (const e of error.problem.errors || []) {
      const match = /^\$\.answers\.([^.[]+)/.exec(e.field || "");
      if (match) problems[match[1]] = e.message;
    }
    if (!markProblems(formEl, problems)) {
      formEl.querySelector(".form-alert").textContent = error.message;
    }
  }
}

// --- Learner view: items ------------------------------------------------------------------------

function itemShell(item, number, content, hint) {
  const promptId = nextId("prompt");
  const errorId = nextId("err");
  const required = item.required !== undefined ? item.required : item.type === "list" ? item.min_entries > 0 : item.type === "table" ? item.min_rows > 0 : true;
  const field = h(
    "fieldset",
    { class: "item", "data-item": item.id, "aria-describedby": errorId },
    h(
      "legend",
      { id: promptId },
      h("span", { class: "qnum" }, number + ". "),
      h("span", { class: "prompt", html: item.prompt }),
      // Authors sometimes say "(optional)" in the prompt already.
      /\((optional|opcional)/i.test(item.prompt) ? null : h("span", { class: "req" }, " (" + t(required ? "required" : "optional") + ")"),
    ),
    hint ? h("p", { class: "hint" }, hint) : null,
    content,
    h("p", { class: "item-error", id: errorId }),
  );
  return field;
}

function renderItem(form, item, answers, number, attempt, readOnly, result) {
  const set = (value) => {
    answers[item.id] = value;
    changed(form);
    recheck(form, item, answers);
  };
  const value = answers[item.id];
  const name = form.id + "." + item.id;
  switch (item.type) {
    case "choice": {
      const chosen = new Set(value || []);
      const options = item.shuffle ? seededShuffle(item.options, attempt.id + item.id) : item.options;
      const list = h(
        "div",
        { class: "options" },
        options.map((option) => {
          const id = nextId("opt");
          const input = h("input", {
            type: item.multiple ? "checkbox" : "radio",
            id,
            name,
            value: option.id,
            checked: chosen.has(option.id),
            disabled: readOnly,
            onchange: () => {
              const picked = [...list.querySelectorAll("input:checked")].map((i) => i.value);
              set(picked);
            },
          });
          const review = result ? optionReview(item, option, chosen.has(option.id), result) : null;
          return h("div", { class: "option" + (chosen.has(option.id) ? " chosen" : "") + (review ? " " + review.kind : "") }, input, h("div", { class: "option-body" }, h("label", { for: id, html: option.text }), review && review.parts));
        }),
      );
      return itemShell(item, number, list);
    }
    case "classify": {
      const placed = Object.assign({}, value || {});
      const rows = item.entries.map((entry) => {
        const entryId = nextId("entry");
        const review = result ? entryReview(item, entry, placed[entry.id], result) : null;
        return h(
          "div",
          { class: "classify-row" + (review ? " " + review.kind : ""), role: "radiogroup", "aria-labelledby": entryId },
          h("div", { class: "classify-entry", id: entryId, html: entry.text }),
          h(
            "div",
            { class: "classify-choices" },
            item.categories.map((category) => {
              const id = nextId("cat");
              return h(
                "span",
                { class: "pill" },
                h("input", {
                  type: "radio",
                  id,
                  name: name + "." + entry.id,
                  value: category.id,
                  checked: placed[entry.id] === category.id,
                  disabled: readOnly,
                  onchange: () => {
                    placed[entry.id] = category.id;
                    set(Object.assign({}, placed));
                  },
                }),
                h("label", { for: id }, category.label),
              );
            }),
          ),
          review && review.parts,
        );
      });
      return itemShell(item, number, h("div", { class: "classify" }, rows));
    }
    case "order": {
      const byId = Object.fromEntries(item.entries.map((e) => [e.id, e]));
      let order = value && value.length ? value.slice() : item.entries.map((e) => e.id);
      const list = h("ol", { class: "order" });
      const draw = (focusId, focusDir) => {
        list.replaceChildren(
          ...order.map((entryId, index) =>
            h(
              "li",
              { class: "order-row" },
              h("span", { class: "order-num", "aria-hidden": "true" }, index + 1 + "."),
              h("span", { class: "order-text", html: byId[entryId].text }),
              readOnly
                ? null
                : h(
                    "span",
                    { class: "order-buttons" },
                    h("button", { type: "button", class: "icon", "data-id": entryId, "data-dir": "up", disabled: index === 0, "aria-label": t("moveUp") + ": " + textOf(byId[entryId].text), onclick: () => move(index, -1) }, "↑"),
                    h("button", { type: "button", class: "icon", "data-id": entryId, "data-dir": "down", disabled: index === order.length - 1, "aria-label": t("moveDown") + ": " + textOf(byId[entryId].text), onclick: () => move(index, 1) }, "↓"),
                  ),
            ),
          ),
        );
        if (focusId) {
          const button = list.querySelector('button[data-id="' + CSS.escape(focusId) + '"][data-dir="' + focusDir + '"]:not([disabled])') || list.querySelector('button[data-id="' + CSS.escape(focusId) + '"]:not([disabled])');
          if (button) button.focus();
        }
      };
      const move = (index, delta) => {
        const target = index + delta;
        if (target < 0 || target >= order.length) return;
        const moved = order[index];
        [order[index], order[target]] = [order[target], order[index]];
        set(order.slice());
        draw(moved, delta < 0 ? "up" : "down");
        status(t("position", { n: target + 1 }) + ": " + textOf(byId[moved].text), "saving");
      };
      if (!answers[item.id] && !readOnly) answers[item.id] = order.slice();
      draw();
      return itemShell(item, number, list);
    }
    case "text_entry": {
      const id = nextId("text");
      return itemShell(
        item,
        number,
        h("div", {}, h("label", { for: id, class: "visually-hidden" }, t("yourAnswer")), h("input", { type: "text", id, class: "text", value: value || "", disabled: readOnly, maxlength: "200", autocomplete: "off", oninput: (e) => set(e.target.value) })),
      );
    }
    case "extended_text": {
      const id = nextId("text");
      const counterId = nextId("count");
      const counter = h("p", { class: "counter", id: counterId }, t("chars", { n: (value || "").length, max: item.max_length }));
      const area = h("textarea", {
        id,
        rows: "5",
        maxlength: String(item.max_length),
        disabled: readOnly,
        "aria-describedby": counterId,
        oninput: (e) => {
          counter.textContent = t("chars", { n: e.target.value.length, max: item.max_length });
          set(e.target.value);
        },
      });
      area.value = value || "";
      const hint = item.min_length ? t("atLeastChars", { min: item.min_length }) : null;
      return itemShell(item, number, h("div", {}, h("label", { for: id, class: "visually-hidden" }, t("yourAnswer")), area, counter), hint);
    }
    case "list": {
      const entries = (value && value.length ? value.slice() : []).concat([""]);
      while (entries.length < Math.max(item.min_entries, 1)) entries.push("");
      const list = h("ol", { class: "list-entries" });
      const sync = () => {
        const values = [...list.querySelectorAll("input")].map((i) => i.value);
        set(values);
      };
      const addRow = (text, focus) => {
        if (list.children.length >= item.max_entries) return;
        const id = nextId("li");
        const n = list.children.length + 1;
        const input = h("input", {
          type: "text",
          id,
          class: "text",
          value: text,
          maxlength: String(item.max_entry_length),
          disabled: readOnly,
          autocomplete: "off",
          oninput: sync,
          onkeydown: (e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              const inputs = [...list.querySelectorAll("input")];
              const next = inputs[inputs.indexOf(input) + 1];
              if (next) next.focus();
              else addRow("", true);
            }
          },
        });
        const row = h(
          "li",
          { class: "list-row" },
          h("label", { for: id, class: "visually-hidden" }, t("entry", { n })),
          input,
          readOnly ? null : h("button", { type: "button", class: "icon", "aria-label": t("removeEntry") + " " + t("entry", { n }), onclick: () => { row.remove(); renumber(); sync(); const last = list.querySelector("li:last-child input"); if (last) last.focus(); else addRow("", true); } }, "×"),
        );
        list.append(row);
        if (focus) input.focus();
      };
      const renumber = () => {
        [...list.children].forEach((row, i) => {
          row.querySelector("label").textContent = t("entry", { n: i + 1 });
          const remove = row.querySelector("button");
          if (remove) remove.setAttribute("aria-label", t("removeEntry") + " " + t("entry", { n: i + 1 }));
        });
      };
      for (const text of readOnly ? value || [] : entries) addRow(text, false);
      const add = readOnly ? null : h("button", { type: "button", class: "button secondary small", onclick: () => addRow("", true) }, "+ " + t("addEntry"));
      return itemShell(item, number, h("div", {}, list, add), item.min_entries ? t("atLeastEntries", { min: item.min_entries }) : null);
    }
    case "rating": {
      return itemShell(item, number, scaleChoices(item.scale, name, value, readOnly, (v) => set(v)));
    }
    case "matrix": {
      const rated = Object.assign({}, value || {});
      const rows = item.statements.map((statement) => {
        const labelId = nextId("stmt");
        return h(
          "div",
          { class: "matrix-row", role: "radiogroup", "aria-labelledby": labelId },
          h("div", { class: "matrix-statement", id: labelId, html: statement.text }),
          scaleChoices(item.scale, name + "." + statement.id, rated[statement.id], readOnly, (v) => {
            rated[statement.id] = v;
            set(Object.assign({}, rated));
          }),
        );
      });
      return itemShell(item, number, h("div", { class: "matrix" }, rows));
    }
    case "table":
      return itemShell(item, number, tableEditor(item, value, readOnly, set), item.min_rows ? t("atLeastRows", { min: item.min_rows }) : null);
    case "scenario":
      return itemShell(item, number, scenario(item, value, attempt, readOnly, set));
    default:
      return itemShell(item, number, h("p", {}, item.type));
  }
}

// --- Learner view: branching scenarios -----------------------------------------------------------
// The learner view holds only a scenario's start node. Each next node comes from the server for
// the path so far, so the graph ahead is never in the page; the path becomes the answer (and is
// autosaved) only once it reaches an ending. A walk in progress survives a re-render in S.walks.

async function scenarioStep(attempt, item, path) {
  const url = "/api/v1/me/attempts/" + attempt.id + "/scenarios/" + enc(item.id) + "/steps?format=html" + langQuery("&");
  return (await api("POST", url, { path })).json();
}

function scenario(item, value, attempt, readOnly, set) {
  const role = h("p", { class: "scenario-role" }, t("scenarioRole", { role: t("role_" + item.role) }));
  if (readOnly) return role; // the result's feedback retells the path taken
  const key = attempt.id + "/" + item.id;
  S.walks = S.walks || {};
  const log = h("ol", { class: "scenario-log" });
  const now = h("div", { class: "scenario-now" });
  const live = h("div", { class: "visually-hidden", "aria-live": "polite" });
  const problem = h("p", { class: "item-error", role: "alert" });
  let path = [];

  const logStep = (node, choice, feedback) =>
    log.append(
      h(
        "li",
        {},
        prose(node.text, "scenario-was"),
        h("p", { class: "scenario-chose" }, h("strong", {}, t("youChose") + " "), textOf(choice.text)),
        prose(feedback, "scenario-feedback"),
      ),
    );
  const drawNode = (node) => {
    const ask = nextId("ask");
    now.replaceChildren(
      prose(node.text, "scenario-node"),
      h("p", { class: "scenario-ask", id: ask }, t("whatNow")),
      h(
        "div",
        { class: "scenario-choices", role: "group", "aria-labelledby": ask },
        node.choices.map((choice) =>
          h("button", { type: "button", class: "button secondary choice", "data-choice": choice.id, onclick: () => choose(node, choice) }, h("span", { html: choice.text })),
        ),
      ),
    );
  };
  const drawEnding = (ending) => {
    now.replaceChildren(
      h("div", { class: "scenario-ending" }, h("h3", {}, t("scenarioEnd") + ": " + ending.title), prose(ending.text)),
      h("button", { type: "button", class: "button small", onclick: restart }, t("restart")),
    );
  };
  const arrive = (step, node, choice) => {
    path = step.path;
    S.walks[key] = path;
    logStep(node, choice, step.feedback);
    if (step.ending) {
      drawEnding(step.ending);
      return textOf(step.feedback) + " " + t("scenarioEnd") + ": " + step.ending.title + ". " + textOf(step.ending.text);
    }
    drawNode(step.node);
    return textOf(step.feedback) + " " + textOf(step.node.text);
  };
  const choose = async (node, choice) => {
    for (const button of now.querySelectorAll("button")) button.disabled = true;
    problem.textContent = "";
    try {
      const step = await scenarioStep(attempt, item, path.concat([choice.id]));
      live.textContent = arrive(step, node, choice);
      if (step.ending) set(path.slice());
      // Keyboard users carry on where the story does: the next choice, or "start again".
      const next = now.querySelector("button");
      if (next) next.focus();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return showError(error);
      problem.textContent = error.message;
      for (const button of now.querySelectorAll("button")) button.disabled = false;
    }
  };
  const restart = () => {
    path = [];
    S.walks[key] = [];
    log.replaceChildren();
    drawNode(item.start);
    set([]);
    live.textContent = textOf(item.start.text);
    now.querySelector("button").focus();
  };
  // Replays a saved (or half-walked) path, one step per choice, so a reload shows the story so far.
  const replay = async (saved) => {
    let node = item.start;
    try {
      for (let i = 0; i < saved.length && node; i++) {
        const choice = node.choices.find((c) => c.id === saved[i]);
        if (!choice) break;
        const step = await scenarioStep(attempt, item, saved.slice(0, i + 1));
        arrive(step, node, choice);
        node = step.node;
      }
    } catch (error) {
      problem.textContent = error.message;
    }
  };
  drawNode(item.start);
  const saved = (S.walks[key] && S.walks[key].length ? S.walks[key] : value) || [];
  if (saved.length) replay(saved);
  return h("div", { class: "scenario" }, role, log, now, live, problem);
}

function textOf(html) {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div.textContent.trim();
}

function scaleChoices(scale, name, value, readOnly, onPick) {
  const labels = Object.fromEntries(scale.labels.map((l) => [l.value, l.label]));
  const points = [];
  for (let v = scale.min; v <= scale.max; v++) points.push(v);
  return h(
    "div",
    { class: "scale" },
    points.map((v) => {
      const id = nextId("pt");
      return h(
        "span",
        { class: "pill" },
        h("input", { type: "radio", id, name, value: String(v), checked: value === v, disabled: readOnly, onchange: () => onPick(v) }),
        h("label", { for: id }, h("span", { class: "pt" }, String(v)), labels[v] ? h("span", { class: "ptlabel" }, labels[v]) : null),
      );
    }),
  );
}

// The internal-customers chart: a real table on a desktop, one card per row on a phone.
function tableEditor(item, value, readOnly, set) {
  const fixed = item.rows && item.rows.length;
  let rows = value && value.length ? value.map((r) => Object.assign({}, r)) : [];
  if (fixed) rows = item.rows.map((r) => Object.assign({ row: r.id }, rows.find((x) => x.row === r.id) || {}));
  else while (rows.length < Math.max(item.min_rows, 1)) rows.push({});
  const table = h("table", { class: "chart" });
  const head = h("thead", {}, h("tr", {}, fixed ? h("th", { scope: "col" }, "") : h("th", { scope: "col", class: "rownum" }, "#"), item.columns.map((c) => h("th", { scope: "col" }, c.label)), readOnly || fixed ? null : h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, t("removeEntry")))));
  const body = h("tbody");
  const emit = () => set(rows.map((r) => Object.assign({}, r)));
  const draw = (focusRow) => {
    body.replaceChildren(
      ...rows.map((row, index) => {
        const rowLabel = fixed ? item.rows[index].label : t("row", { n: index + 1 });
        return h(
          "tr",
          {},
          h("th", { scope: "row", class: "rownum" }, fixed ? rowLabel : String(index + 1)),
          item.columns.map((column) => {
            const id = nextId("cell");
            const input = h("textarea", {
              id,
              rows: "2",
              maxlength: String(column.max_length),
              disabled: readOnly,
              "aria-label": column.label + ", " + rowLabel,
              oninput: (e) => {
                row[column.id] = e.target.value;
                emit();
              },
            });
            input.value = row[column.id] || "";
            return h("td", { "data-label": column.label }, input);
          }),
          readOnly || fixed
            ? null
            : h(
                "td",
                { class: "rowtools" },
                h("button", { type: "button", class: "icon", "aria-label": t("removeRow", { n: index + 1 }), disabled: rows.length <= 1, onclick: () => { rows.splice(index, 1); emit(); draw(Math.max(0, index - 1)); } }, "×"),
              ),
        );
      }),
    );
    if (focusRow !== undefined) {
      const target = body.children[focusRow];
      if (target) target.querySelector("textarea").focus();
    }
  };
  draw();
  table.append(head, body);
  const add =
    readOnly || fixed
      ? null
      : h("button", { type: "button", class: "button secondary small", onclick: () => { if (rows.length >= item.max_rows) return; rows.push({}); emit(); draw(rows.length - 1); } }, "+ " + t("addRow"));
  return h("div", { class: "chart-wrap" }, table, add);
}

// --- Learner view: results ----------------------------------------------------------------------

function renderResult(form, attempt) {
  const box = h("div", { class: "result" });
  box.append(h("h3", { id: "result-" + form.id, tabindex: "-1" }, t("submitted") + ": " + form.title));
  if (attempt.score !== null && attempt.score !== undefined && form.scoring === "automatic") {
    box.append(
      h(
        "p",
        { class: "score " + (attempt.passed ? "pass" : "fail") },
        h("strong", {}, t("score", { pct: pct(attempt.score) })),
        attempt.passed !== null ? " · " + (attempt.passed ? t("passed") : t("notPassed")) : "",
      ),
    );
  }
  if (attempt.feedback) box.append(prose(markdown(attempt.feedback), "overall"));
  const results = Object.fromEntries((attempt.items || []).map((r) => [r.item, r]));
  const answers = attempt.answers || {};
  // The payoff first: the comparison with the course's list and with colleagues, then the answers.
  for (const comparison of attempt.lists || []) box.append(listComparison(form, comparison));
  for (const item of form.items.filter((x) => x.type === "list" && form.kind === "worksheet")) {
    const slot = h("div", { class: "combined", "aria-live": "polite" });
    box.append(slot);
    loadCombined(form, item, slot);
  }
  const list = h("div", { class: "items" });
  orderedItems(form, attempt).forEach((item, i) => {
    const result = results[item.id];
    const shell = renderItem(form, item, Object.assign({}, answers), i + 1, attempt, true, result);
    if (result) shell.append(itemFeedback(item, result));
    list.append(shell);
  });
  box.append(list);
  const completion = S.results[form.id] && S.results[form.id].completion;
  if (completion || (form.scoring === "automatic" && isComplete())) {
    box.append(h("p", {}, h("button", { type: "button", class: "button primary", onclick: () => goTo(S.steps.length - 1) }, t("seeCompletion"))));
  }
  if (form.scoring === "automatic" && !attempt.passed) {
    if (attempt.attempts_left === null || attempt.attempts_left === undefined || attempt.attempts_left > 0) {
      box.append(h("p", {}, h("button", { type: "button", class: "button", onclick: async () => { try { await startAttempt(form.id); renderStep(); focusHeading(); } catch (e) { showError(e); } } }, t("tryAgain"))));
    } else {
      box.append(h("p", {}, t("noMoreAttempts")));
    }
  }
  return box;
}

// A feedback note about one option or entry sits beside it; the item's own notes (an order's, a
// typed answer's, a scenario's path) sit under the verdict.
function noteFor(result, about, id) {
  return (result.notes || []).find((n) => n.about === about && n.id === id) || null;
}

function optionReview(item, option, chosen, result) {
  const note = noteFor(result, "option", option.id);
  let right = note ? note.correct : Array.isArray(result.correct_answer) ? result.correct_answer.includes(option.id) : null;
  if (right === null && chosen && !item.multiple) right = result.correct;
  const label = chosen && right !== null ? t(right ? "markChosenRight" : "markChosenWrong") : !chosen && right ? t("markRight") : null;
  if (!label && !note) return null;
  return {
    kind: label ? (right ? "right" : "wrong") : "",
    parts: [label ? h("p", { class: "mark" }, label) : null, note ? prose(markdown(note.text), "option-feedback") : null],
  };
}

function entryReview(item, entry, placed, result) {
  const note = noteFor(result, "entry", entry.id);
  const key = result.correct_answer && result.correct_answer[entry.id];
  const right = note && placed ? note.correct : key && placed ? key === placed : null;
  if (right === null && !note) return null;
  const category = key && (item.categories.find((c) => c.id === key) || {}).label;
  const label = right ? t("markPlacedRight") : right === false ? (category ? t("belongsIn", { category }) : t("markPlacedWrong")) : null;
  return {
    kind: right ? "right" : right === false ? "wrong" : "",
    parts: [h("div", { class: "entry-review" }, label ? h("p", { class: "mark" }, label) : null, note ? prose(markdown(note.text), "option-feedback") : null)],
  };
}

function itemFeedback(item, result) {
  const verdict = result.correct ? t("correct") : result.score > 0 ? t("partly") : t("incorrect");
  const box = h("div", { class: "feedback " + (result.correct ? "right" : "wrong") });
  box.append(h("p", { class: "verdict" }, h("strong", {}, (result.correct ? "✓ " : "✗ ") + verdict)));
  const besides = item.type === "choice" || item.type === "classify";
  const texts = result.notes && result.notes.length ? result.notes.filter((n) => !besides || (n.about !== "option" && n.about !== "entry")).map((n) => n.text) : besides ? [] : result.feedback || [];
  for (const text of texts) box.append(prose(markdown(text)));
  if (result.correct_answer !== null && result.correct_answer !== undefined && !result.correct && !besides) {
    box.append(h("p", {}, h("strong", {}, t("correctAnswer") + " "), describeAnswer(item, result.correct_answer)));
  }
  return box;
}

function describeAnswer(item, value) {
  if (item.type === "choice") {
    return value.map((id) => textOf((item.options.find((o) => o.id === id) || { text: id }).text)).join("; ");
  }
  if (item.type === "order") {
    return value.map((id, i) => i + 1 + ". " + textOf((item.entries.find((e) => e.id === id) || { text: id }).text)).join("  ");
  }
  if (item.type === "classify") {
    return Object.entries(value)
      .map(([entry, category]) => textOf((item.entries.find((e) => e.id === entry) || { text: entry }).text) + " → " + ((item.categories.find((c) => c.id === category) || {}).label || category))
      .join("; ");
  }
  return Array.isArray(value) ? value.join(", ") : String(value);
}

function listComparison(form, comparison) {
  const item = form.items.find((i) => i.id === comparison.item);
  const group = (title, entries) => (entries.length ? [h("h4", {}, title), h("ul", { class: "tags" }, entries.map((e) => h("li", {}, e)))] : []);
  return h(
    "section",
    { class: "compare", "aria-label": t("listCompare") },
    h("h3", {}, t("listCompare") + ": " + (item ? textOf(item.prompt).split(".").slice(0, 2).join(".") : comparison.item)),
    group(t("matched"), comparison.matched),
    group(t("missed"), comparison.missed),
    group(t("extra"), comparison.extra),
  );
}

async function loadCombined(form, item, slot) {
  try {
    const data = await getJSON("/api/v1/reports/modules/" + enc(S.module.id) + "/forms/" + enc(form.id) + "/items/" + enc(item.id) + "/combined");
    const title = t("combined") + ": " + textOf(item.prompt).split(".").slice(0, 2).join(".");
    slot.replaceChildren(
      h("h3", {}, title),
      h("p", { class: "meta" }, t("combinedCount", { n: data.respondents })),
      data.entries.length
        ? h(
            "ol",
            { class: "combined-list" },
            data.entries.map((e) =>
              h("li", { class: e.in_reference ? "ref" : "" }, h("span", {}, e.label), " ", h("span", { class: "count" }, t("namedBy", { n: e.count }) + (e.in_reference ? " · " + t("inReference") : ""))),
            ),
          )
        : h("p", {}, data.shown === false ? t("combinedHidden", { n: data.min_group_size }) : t("combinedEmpty")),
    );
  } catch (_) {
    slot.remove();
  }
}

// --- Learner view: completion -------------------------------------------------------------------

function renderFinish() {
  const section = h("section", { class: "card finish" });
  const progress = S.progress;
  if (progress && progress.status === "completed" && progress.completion) {
    const c = progress.completion;
    const date = new Date(c.completed_at).toLocaleDateString(S.ui === "es" ? "es" : "en", { year: "numeric", month: "long", day: "numeric" });
    const slot = h("p", { class: "cert-status", role: "status" });
    section.append(
      h("p", { class: "badge", "aria-hidden": "true" }, "✓"),
      h("h1", {}, t("completeTitle")),
      h("p", { class: "lead" }, t("completeBody", { title: S.module.title })),
      h(
        "ul",
        { class: "facts" },
        h("li", {}, t("completedOn", { date })),
        c.score !== null && c.score !== undefined ? h("li", {}, t("score", { pct: pct(c.score) })) : null,
        h("li", {}, t("credit", { minutes: c.credit_minutes })),
        h("li", {}, t("certificateCode", { code: c.certificate_code })),
      ),
      h(
        "p",
        {},
        h("a", { class: "button primary", href: certificatePath(c.id), id: "certificate", onclick: (e) => { e.preventDefault(); openCertificate(c.id, slot); } }, t("certificate")),
      ),
      slot,
    );
    if (S.cmi5) {
      S.cmi5.completed(c).catch(showError);
      section.append(h("p", {}, h("button", { type: "button", class: "button secondary", id: "back-to-course", onclick: leaveForCourse }, t("backToCourse"))));
    }
    return section;
  }
  section.append(h("h1", {}, t("notComplete")), h("p", {}, t("remaining")));
  const groups = progress ? progress.requirements : S.module.completion.all_of.map((g) => g.any_of.map((r) => Object.assign({ met: false }, r)));
  section.append(
    h(
      "ul",
      { class: "remaining" },
      groups.map((group) => {
        const r = group[0];
        const form = formById(r.form);
        const label = r.action === "pass" ? t("req_pass", { form: form ? form.title : r.form, pct: pct(r.min_score || 0) }) : t("req_submit", { form: form ? form.title : r.form });
        const met = group.some((x) => x.met);
        const index = S.steps.findIndex((s) => s.form === r.form);
        return h("li", { class: met ? "met" : "" }, met ? "✓ " + label + " (" + t("done") + ")" : h("button", { type: "button", class: "linklike", onclick: () => goTo(index) }, label));
      }),
    ),
  );
  return section;
}

function certificatePath(completionId) {
  return "/api/v1/me/completions/" + enc(completionId) + "/certificate?lang=" + S.ui;
}

// The certificate is fetched with the bearer (no cookies), then opened from a blob URL.
async function openCertificate(completionId, slot) {
  slot.textContent = t("certificateLoading");
  try {
    // In the player's language, not the browser's: an LMS may run in another one.
    const response = await api("GET", certificatePath(completionId), undefined, {
      headers: { Authorization: "Bearer " + S.launch.token, Accept: "application/pdf" },
    });
    const url = URL.createObjectURL(await response.blob());
    slot.textContent = "";
    // A new tab where the browser allows one; an LMS iframe may block it, so a link stays too.
    window.open(url, "_blank");
    const link = h("a", { href: url, download: "certificate-" + completionId + ".pdf" }, t("certificateSaved"));
    slot.replaceChildren(link);
  } catch (error) {
    slot.textContent = error instanceof ApiError && error.status === 404 ? t("certificateMissing") : error.message;
  }
}

// --- Course home --------------------------------------------------------------------------------
// Opened without a module: every module with the learner's status, time, certificates and transcript.

async function goHome() {
  await flushSaves();
  remember({ module: "" });
  Object.assign(S, { module: null, steps: [], step: 0, attempts: {}, answers: {}, results: {}, progress: null });
  document.getElementById("brand").textContent = "Front Office";
  await start();
}

async function openModule(id) {
  remember({ module: id });
  Object.assign(S, { attempts: {}, answers: {}, results: {}, progress: null });
  setLanguage(S.launch.lang || "en");
  try {
    await startLearner();
  } catch (error) {
    showError(error);
  }
}

async function startHome() {
  const response = await api("GET", "/api/v1/course?format=html" + langQuery("&"));
  const course = await response.json();
  setLanguage(response.headers.get("Content-Language") || "en");
  const [progress, transcript] = await Promise.all([getJSON("/api/v1/me/progress"), getJSON("/api/v1/me/transcript")]);
  const byId = Object.fromEntries(progress.map((p) => [p.module_id, p]));
  const titles = Object.fromEntries(course.modules.map((m) => [m.id, m.title]));
  document.title = course.title + " · Front Office";
  document.getElementById("brand").textContent = course.title;
  const date = (iso) => new Date(iso).toLocaleDateString(S.ui, { year: "numeric", month: "long", day: "numeric" });
  const done = course.modules.filter((m) => (byId[m.id] || {}).status === "completed");
  const left = course.modules.filter((m) => !done.includes(m)).reduce((sum, m) => sum + m.minutes, 0);
  const last = titles[S.launch.last] && (byId[S.launch.last] || {}).status !== "completed" ? S.launch.last : null;
  const cards = course.modules.map((m) => {
    const p = byId[m.id] || { status: "not_started" };
    const headingId = "mod-" + m.id;
    const slot = h("p", { class: "cert-status", role: "status" });
    const asked = (S.launch.lang || "").toLowerCase().split("-")[0];
    const wanted = asked && m.languages && m.languages.length && !m.languages.includes(asked);
    return h(
      "li",
      { class: "card module " + p.status },
      h("h3", { id: headingId }, m.title),
      h(
        "p",
        { class: "meta" },
        h("span", { class: "status " + p.status }, (p.status === "completed" ? "✓ " : "") + t("st_" + p.status)),
        " · " + (p.completion ? t("completedOn", { date: date(p.completion.completed_at) }) : t("about", { minutes: m.minutes })),
      ),
      p.due_on && p.status !== "completed" ? h("p", { class: "due" + (p.overdue ? " overdue" : "") }, t(p.overdue ? "overdue" : "dueOn", { date: dueDate(p.due_on) })) : null,
      wanted ? h("p", { class: "note", lang: TEXT[asked] ? asked : "en" }, untranslatedText(asked)) : null,
      prose(m.summary),
      h(
        "p",
        { class: "actions" },
        h("button", { type: "button", class: "button" + (p.status === "completed" ? " secondary" : " primary"), "aria-describedby": headingId, onclick: () => openModule(m.id) }, t(p.status === "completed" ? "reviewModule" : p.status === "in_progress" ? "continueModule" : "openModule")),
        p.completion ? h("button", { type: "button", class: "button secondary", onclick: () => openCertificate(p.completion.id, slot) }, t("certificateFor", { title: m.title })) : null,
      ),
      slot,
    );
  });
  show(
    h(
      "section",
      { class: "home" },
      h("h1", {}, course.title),
      h("p", { class: "lead" }, t("courseProgress", { done: done.length, total: course.modules.length, minutes: left })),
      last ? h("p", {}, h("button", { type: "button", class: "button primary", onclick: () => openModule(last) }, t("resume", { title: titles[last] || last }))) : null,
      h("h2", {}, t("yourModules")),
      h("ol", { class: "modules" }, cards),
      h(
        "section",
        { class: "card transcript", "aria-labelledby": "transcript-h" },
        h("h2", { id: "transcript-h" }, t("transcript")),
        transcript.completions.length
          ? [
              h("ul", {}, transcript.completions.map((c) => h("li", {}, (titles[c.module_id] || c.module_id) + " · " + date(c.completed_at) + " · " + t("minutes", { minutes: c.credit_minutes })))),
              h("p", {}, h("strong", {}, t("totalCredit", { minutes: transcript.total_credit_minutes }))),
            ]
          : h("p", {}, t("transcriptEmpty")),
      ),
    ),
  );
  focusHeading();
  performance.mark("fo-rendered");
}

// A due date is a calendar day in the district's time zone (`2026-12-12`): written out as that
// day in the page's language, never shifted by the browser's zone; the year only when not this one.
function dueDate(day) {
  const [year, month, date] = day.split("-").map(Number);
  const options = { month: "short", day: "numeric", timeZone: "UTC" };
  if (year !== new Date().getFullYear()) options.year = "numeric";
  return new Intl.DateTimeFormat(S.ui, options).format(new Date(Date.UTC(year, month - 1, date)));
}

function untranslatedText(lang) {
  const table = TEXT[lang] ? lang : "en";
  let language = lang;
  try {
    language = new Intl.DisplayNames([table], { type: "language" }).of(lang) || lang;
  } catch (_) {
    /* an unknown code: shown as it is */
  }
  return TEXT[table].notTranslated.replace("{language}", language);
}

// --- Facilitator view ---------------------------------------------------------------------------

function clock(minutes) {
  const whole = Math.floor(minutes);
  const seconds = Math.round((minutes - whole) * 60);
  return whole + ":" + String(seconds).padStart(2, "0");
}

async function startFacilitator() {
  const response = await api("GET", "/api/v1/modules/" + enc(S.launch.module) + "/facilitator?format=html" + langQuery("&"));
  const m = await response.json();
  setLanguage(response.headers.get("Content-Language") || "en");
  document.title = t("facilitator") + ": " + m.title + " · Front Office";
  document.getElementById("brand").textContent = m.title;
  const activities = Object.fromEntries(m.activities.map((a) => [a.id, a.title]));
  let at = 0;
  const steps = m.facilitator_script.map((s, i) => {
    const from = at;
    at += s.minutes;
    return h(
      "li",
      { class: "script-step", id: "script-" + i, tabindex: "-1", "aria-current": i === 0 ? "step" : null },
      h(
        "div",
        { class: "script-head" },
        h("span", { class: "kind kind-" + s.kind }, t("kind_" + s.kind)),
        h("span", { class: "time" }, clock(from) + "–" + clock(at)),
        h("span", { class: "meta" }, t("minutes", { minutes: s.minutes })),
        s.activity && activities[s.activity] ? h("span", { class: "meta" }, activities[s.activity]) : null,
      ),
      prose(s.text),
    );
  });
  let current = 0;
  const counter = h("p", { class: "stepcount", role: "status" }, t("scriptStep", { n: 1, total: steps.length }));
  const go = (delta) => {
    const next = Math.min(Math.max(current + delta, 0), steps.length - 1);
    steps[current].removeAttribute("aria-current");
    current = next;
    steps[current].setAttribute("aria-current", "step");
    counter.textContent = t("scriptStep", { n: current + 1, total: steps.length });
    steps[current].focus();
    steps[current].scrollIntoView({ block: "start" });
  };
  show(
    h(
      "div",
      { class: "facilitator" },
      h(
        "section",
        { class: "card" },
        h("p", { class: "eyebrow" }, t("facilitator")),
        h("h1", {}, m.title),
        h("p", { class: "meta" }, t("about", { minutes: m.minutes })),
        prose(m.summary),
        h("h2", {}, t("goals")),
        h("ul", {}, m.goals.map((g) => h("li", {}, g))),
        h("h2", {}, t("materials")),
        h("ul", {}, m.materials.map((x) => h("li", {}, x.title))),
        h("p", {}, h("button", { type: "button", class: "button secondary", onclick: () => { remember({ view: "learner", step: 0 }); start(); } }, t("learnerView"))),
      ),
      h(
        "section",
        { class: "card" },
        h("h2", {}, t("script")),
        h(
          "div",
          { class: "script-nav" },
          h("button", { type: "button", class: "button secondary", onclick: () => go(-1) }, "← " + t("previousStep")),
          counter,
          h("button", { type: "button", class: "button", onclick: () => go(1) }, t("nextStep") + " →"),
        ),
        h("ol", { class: "script" }, steps),
      ),
    ),
  );
  focusHeading();
  performance.mark("fo-rendered");
}

// --- Deep-linking picker ------------------------------------------------------------------------

async function startPicker() {
  const response = await api("GET", "/api/v1/modules?format=html" + langQuery("&"));
  const modules = await response.json();
  setLanguage(response.headers.get("Content-Language") || "en");
  document.title = t("picker") + " · Front Office";
  document.getElementById("brand").textContent = t("picker");
  const button = h("button", { type: "submit", class: "button primary", disabled: true }, t("addNone"));
  const alert = h("p", { class: "form-alert", role: "alert" });
  const form = h("form", { class: "picker", onsubmit: (e) => { e.preventDefault(); returnSelection(form, button, alert); } });
  const update = () => {
    const n = form.querySelectorAll("input:checked").length;
    button.disabled = n === 0;
    button.textContent = n ? t("addModules", { n }) : t("addNone");
  };
  form.append(
    h(
      "fieldset",
      {},
      h("legend", {}, t("modules")),
      modules.map((m) => {
        const id = nextId("mod");
        return h(
          "div",
          { class: "pick" },
          h("input", { type: "checkbox", id, name: "modules", value: m.id, onchange: update }),
          h("label", { for: id }, h("span", { class: "pick-title" }, m.title), h("span", { class: "meta" }, t("minutes", { minutes: m.minutes })), h("span", { class: "pick-summary", html: m.summary })),
        );
      }),
    ),
    alert,
    h("div", { class: "actions" }, button),
  );
  show(h("section", { class: "card" }, h("h1", {}, t("picker")), h("p", {}, t("pickerBody")), form));
  focusHeading();
  performance.mark("fo-rendered");
}

// Deep linking returns through the browser: a form POST of the signed response to the LMS.
async function returnSelection(form, button, alert) {
  const chosen = [...form.querySelectorAll("input:checked")].map((i) => i.value);
  button.disabled = true;
  button.textContent = t("adding");
  try {
    const response = await api("POST", "/api/v1/lti/deep-links/" + enc(S.launch.dl) + "/response", { modules: chosen });
    const { return_url: returnUrl, jwt } = await response.json();
    const post = h("form", { method: "post", action: returnUrl, class: "visually-hidden" }, h("input", { type: "hidden", name: "JWT", value: jwt }));
    document.body.append(post);
    post.submit();
  } catch (error) {
    alert.textContent = error.message;
    button.disabled = false;
    button.textContent = t("addModules", { n: chosen.length });
  }
}

// --- cmi5 ---------------------------------------------------------------------------------------
// An AU's URL (/player/cmi5?…) from a district's cmi5 package: cmi5.js, loaded only then, talks
// to the LMS (fetch URL, launch data, statements) and trades the actor for a learner token.

async function startCmi5() {
  if (S.cmi5 || !window.location.pathname.endsWith("/cmi5")) return true;
  try {
    const cmi5 = await import("./cmi5.js");
    S.cmi5 = await cmi5.start(new URLSearchParams(window.location.search));
    S.launch = S.cmi5.launch;
    return true;
  } catch (error) {
    setLanguage(browserLanguage() || "en");
    show(h("section", { class: "card notice" }, h("h1", {}, t("cmi5Failed")), h("p", {}, error.message)));
    focusHeading();
    return false;
  }
}

async function leaveForCourse() {
  try {
    await S.cmi5.terminate(false);
  } catch (error) {
    showError(error);
    return;
  }
  if (S.cmi5.returnUrl) window.location.assign(S.cmi5.returnUrl);
}

// --- Start --------------------------------------------------------------------------------------

async function start() {
  if (!(await startCmi5())) return;
  S.launch = S.launch || readLaunch();
  if (!S.launch) {
    setLanguage(browserLanguage() || "en");
    show(h("section", { class: "card notice" }, h("h1", {}, t("noLaunch")), h("p", {}, t("noLaunchBody"))));
    return;
  }
  if (!S.launch.lang) S.launch.lang = browserLanguage();
  setLanguage(S.launch.lang || "en");
  try {
    if (S.launch.view === "facilitator") await startFacilitator();
    else if (S.launch.view === "picker") await startPicker();
    else if (S.launch.module) await startLearner();
    else await startHome();
  } catch (error) {
    showError(error);
  }
}

// A new launch in the same tab (the LMS opening another module) starts over with its fragment.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(window.location.hash.slice(1)).get("token")) {
    saveOnExit();
    window.location.reload();
  }
});
window.addEventListener("pagehide", () => {
  saveOnExit();
  if (S.cmi5) S.cmi5.terminate(true).catch(() => {});
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") saveOnExit();
});
start();
