// Front Office console: the keys page and the audit log, on the public JSON API, with the
// console session's cookie (and its CSRF token on every change). No build step.
//   /console/<district>/[?lang=es]
// Each further page is a module of its own, handed the helpers below as `ui`.
import { lmsSection } from "./lms.js";
import { webhooksSection } from "./webhooks.js";
import { rosterPage } from "./roster.js";
import { completionsPage } from "./completions.js";
import { inboxPage } from "./inbox.js";

const T = {
  en: {
    title: "District console", signIn: "Sign in with your district account", signOut: "Sign out",
    signedOut: "You are not signed in to this district's console.", signedIn: "Signed in as",
    roles: { district_admin: "district administrator", hr: "HR", principal: "principal", facilitator: "facilitator" },
    keys: "API keys", keysHelp: "Keys let your district's systems call Front Office. A key is shown once, when it is made.",
    keyName: "Name of the new key", scopes: "Scopes", create: "Create key", noKeys: "No keys yet: create one above.",
    createdKey: "Copy this key now: it is shown only once.", prefix: "Prefix", name: "Name", created: "Created",
    lastUsed: "Last used", status: "Status", live: "live", revoked: "revoked", revoke: "Revoke",
    confirmRevoke: "Revoke the key {name}? Systems using it will stop working.", never: "never",
    audit: "Audit log", noAudit: "Nothing in the audit log yet.", when: "When", who: "Who", action: "Action",
    details: "Details", rows: "Rows", key: "key", noPages: "Your role has no console pages yet; the API is open to you with your role's scopes.",
    failed: "Something went wrong", actionsFor: "Actions for",
  },
  es: {
    title: "Consola del distrito", signIn: "Iniciar sesión con su cuenta del distrito", signOut: "Cerrar sesión",
    signedOut: "No ha iniciado sesión en la consola de este distrito.", signedIn: "Sesión iniciada como",
    roles: { district_admin: "administrador del distrito", hr: "Recursos Humanos", principal: "director", facilitator: "facilitador" },
    keys: "Claves de API", keysHelp: "Las claves permiten que los sistemas del distrito llamen a Front Office. Una clave se muestra una sola vez, al crearla.",
    keyName: "Nombre de la nueva clave", scopes: "Permisos", create: "Crear clave", noKeys: "Aún no hay claves: cree una arriba.",
    createdKey: "Copie esta clave ahora: solo se muestra una vez.", prefix: "Prefijo", name: "Nombre", created: "Creada",
    lastUsed: "Último uso", status: "Estado", live: "activa", revoked: "revocada", revoke: "Revocar",
    confirmRevoke: "¿Revocar la clave {name}? Los sistemas que la usan dejarán de funcionar.", never: "nunca",
    audit: "Registro de auditoría", noAudit: "Aún no hay nada en el registro de auditoría.", when: "Cuándo", who: "Quién",
    action: "Acción", details: "Detalles", rows: "Filas", key: "clave", noPages: "Su rol aún no tiene páginas en la consola; la API está abierta para usted con los permisos de su rol.",
    failed: "Algo salió mal", actionsFor: "Acciones para",
  },
};

const params = new URLSearchParams(location.search);
const lang = (params.get("lang") || navigator.language || "en").toLowerCase().startsWith("es") ? "es" : "en";
const t = T[lang];
const district = decodeURIComponent(location.pathname.split("/")[2] || "");
const S = { session: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString(lang === "es" ? "es" : "en") : t.never;
}

// Every error is the API's problem `detail`, shown where it concerns.
async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = S.session ? S.session.csrf_token : "";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error((data && data.detail) || `${t.failed} (${response.status})`);
    error.status = response.status;
    error.errors = (data && data.errors) || []; // each field's problem, to show beside it
    throw error;
  }
  return data;
}

function main() { return document.getElementById("main"); }

function signedOut(message) {
  document.getElementById("who").replaceChildren();
  main().replaceChildren(
    el("h1", {}, t.title),
    el("p", {}, message || t.signedOut),
    el("a", { class: "button", href: `/console/${encodeURIComponent(district)}/login` }, t.signIn),
  );
}

async function signOut() {
  try {
    await call("POST", `/console/${encodeURIComponent(district)}/logout`);
  } catch (error) { /* the session is over either way */ }
  S.session = null;
  signedOut();
  main().focus();
}

function keysSection() {
  const list = el("div", { class: "table" });
  const error = el("p", { class: "error", id: "key-error", role: "alert" });
  const shown = el("div", { "aria-live": "polite" });
  const name = el("input", { type: "text", id: "key-name", name: "name", maxlength: "200", "aria-describedby": "key-error" });
  const boxes = S.session.scopes.map((scope) => el("label", {}, el("input", { type: "checkbox", name: "scope", value: scope }), scope));
  const form = el("form", { novalidate: true },
    el("label", { for: "key-name" }, t.keyName), name,
    el("fieldset", {}, el("legend", {}, t.scopes), boxes),
    el("button", { type: "submit" }, t.create), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const scopes = [...form.querySelectorAll("input[name=scope]:checked")].map((box) => box.value);
    try {
      const made = await call("POST", "/api/v1/keys", { name: name.value.trim(), scopes });
      shown.replaceChildren(el("div", { class: "shown-once", role: "status" },
        el("p", {}, t.createdKey), el("code", { id: "new-key" }, made.key)));
      form.reset();
      await loadKeys(list, error);
    } catch (failure) {
      error.textContent = failure.message;
      name.focus();
    }
  });
  loadKeys(list, error);
  return el("section", { id: "keys", "aria-labelledby": "keys-title" },
    el("h2", { id: "keys-title" }, t.keys), el("p", { class: "muted" }, t.keysHelp), form, shown, list);
}

async function loadKeys(list, error) {
  let keys;
  try {
    keys = await call("GET", "/api/v1/keys");
  } catch (failure) {
    error.textContent = failure.message;
    return;
  }
  if (!keys.length) {
    list.replaceChildren(el("p", {}, t.noKeys));
    return;
  }
  const rows = keys.map((key) => el("tr", {},
    el("th", { scope: "row" }, key.name || key.prefix),
    el("td", {}, el("code", {}, key.prefix)),
    el("td", {}, key.scopes.join(", ")),
    el("td", {}, when(key.created_at)),
    el("td", {}, when(key.last_used_at)),
    el("td", {}, key.revoked_at ? t.revoked : t.live),
    el("td", {}, key.revoked_at ? "" : el("button", {
      type: "button", class: "quiet", "aria-label": `${t.revoke}: ${key.name || key.prefix}`,
      onclick: async () => {
        if (!confirm(t.confirmRevoke.replace("{name}", key.name || key.prefix))) return;
        error.textContent = "";
        try {
          await call("DELETE", `/api/v1/keys/${key.id}`);
        } catch (failure) {
          error.textContent = failure.message;
        }
        await loadKeys(list, error);
        auditReload();
      },
    }, t.revoke))));
  list.replaceChildren(el("table", {},
    el("caption", { class: "muted" }, t.keys),
    el("thead", {}, el("tr", {}, [t.name, t.prefix, t.scopes, t.created, t.lastUsed, t.status, ""].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows)));
}

let auditReload = () => {};

function auditSection() {
  const list = el("div", { class: "table" });
  const error = el("p", { class: "error", role: "alert" });
  auditReload = async () => {
    let entries;
    try {
      entries = await call("GET", "/api/v1/audit?limit=100");
    } catch (failure) {
      error.textContent = failure.message;
      return;
    }
    if (!entries.length) {
      list.replaceChildren(el("p", {}, t.noAudit));
      return;
    }
    list.replaceChildren(el("table", {},
      el("caption", { class: "muted" }, t.audit),
      el("thead", {}, el("tr", {}, [t.when, t.who, t.action, t.details, t.rows].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, entries.map((entry) => el("tr", {},
        el("td", {}, when(entry.at)),
        el("td", {}, entry.actor || (entry.key_id ? `${t.key} ${entry.key_id.slice(0, 8)}` : "")),
        el("td", {}, el("code", {}, entry.action)),
        el("td", {}, el("code", {}, JSON.stringify(entry.filters))),
        el("td", {}, String(entry.row_count)))))));
  };
  auditReload();
  return el("section", { id: "audit", "aria-labelledby": "audit-title" }, el("h2", { id: "audit-title" }, t.audit), error, list);
}

async function start() {
  document.documentElement.lang = lang;
  document.title = `${t.title} · Front Office`;
  try {
    S.session = await call("GET", `/console/${encodeURIComponent(district)}/session`);
  } catch (failure) {
    signedOut(failure.status === 401 ? t.signedOut : failure.message);
    return;
  }
  const session = S.session;
  document.getElementById("who").replaceChildren(
    el("span", {}, `${t.signedIn} ${session.name} (${t.roles[session.role] || session.role}${session.school ? ", " + session.school : ""})`),
    el("button", { type: "button", class: "quiet", onclick: signOut }, t.signOut));
  const kit = { el, call, when, lang, session };
  const sections = [
    ...(session.scopes.includes("admin") ? [keysSection(), lmsSection(kit), webhooksSection(kit), auditSection()] : []),
    ...PAGES.flatMap((page) => page(kit)),
  ];
  main().replaceChildren(el("h1", {}, `${t.title}: ${session.district}`), ...(sections.length ? [contents(sections), ...sections] : [el("p", {}, t.noPages)]));
}

// Pages in modules of their own, each a function of the kit above answering its sections
// (none when the person's role can't use it).
const PAGES = [rosterPage, completionsPage, inboxPage];

// In-page links to each section by its heading, so a phone or keyboard user skips ahead.
function contents(sections) {
  const links = sections.filter((s) => s.id).map((s) => el("li", {}, el("a", { href: `#${s.id}` }, s.querySelector("h2").textContent)));
  return el("nav", { "aria-label": t.title, class: "contents" }, el("ul", {}, links));
}

start();
