// The console's LMS page: this tool's URLs to paste into an LMS (with each LMS's steps), a
// dynamic-registration URL to copy, and the platforms registered (from a file or by their
// fields) with their deployments. On the public JSON API, through the console's `ui`.

import { clearProblems, copyButton, redraw, showProblem } from "./fields.js";

const T = {
  en: {
    lms: "LMS (LTI 1.3)",
    lmsHelp: "Connect your LMS so staff open Front Office's modules from their courses and grades go back.",
    tool: "Front Office's URLs for your LMS", toolHelp: "Paste these into your LMS when you add Front Office as an LTI 1.3 tool by hand.",
    login_url: "Login URL (OpenID Connect initiation)", launch_url: "Launch URL (target link and redirect URI)",
    jwks_url: "Public key set URL (JWKS)", domain: "Domain",
    stepsFor: "Steps in {lms}",
    copy: "Copy", copied: "Copied", selectToCopy: "Selected: press Ctrl+C (⌘C on a Mac) to copy.",
    dynamic: "Dynamic registration", dynamicHelp: "The quickest way, where your LMS offers it (Canvas, Moodle, Brightspace): make a URL and paste it into the LMS. It registers one LMS within an hour.",
    makeUrl: "Make a registration URL", urlShown: "Paste this URL into your LMS before {when}. It is shown only now.",
    openUrls: "Registration URLs not used yet", made: "Made", expires: "Expires", revoke: "Revoke",
    revokeUrl: "Revoke the registration URL made", noOpenUrls: "No registration URL is waiting to be used.",
    register: "Register an LMS", registerHelp: "For an LMS without dynamic registration: copy its values here, or choose the file Front Office's `lti import` command reads.",
    file: "Registrations file (JSON)", fileHelp: "A JSON file: {\"registrations\": [{\"issuer\": …, \"client_id\": …, \"deployment_ids\": […], \"auth_login_url\": …, \"auth_token_url\": …, \"key_set_url\": …}]}.",
    fromFile: "Register from the file", noFile: "Choose a file first.", notJson: "This file is not JSON: {error}",
    entry: "Entry {n} ({issuer})", fileDone: "{n} registration(s) saved from the file.",
    issuer: "Issuer (the LMS's `iss`)", client_id: "Client ID", deployment_ids: "Deployment IDs (separated by commas)",
    auth_login_url: "Authorization (OIDC) URL", auth_token_url: "Access token URL", key_set_url: "The LMS's public key set URL",
    save: "Register", saved: "Registered {issuer}.",
    registrations: "Registered LMSs", refresh: "Refresh", noRegistrations: "No LMS is registered yet: make a registration URL above and paste it into your LMS, or register it with its values below.",
    deployments: "Deployments", noDeployments: "none: every launch is refused until you add one", addDeployment: "Add a deployment",
    newDeployment: "New deployment ID for {issuer}", removeDeployment: "Remove deployment {id} of {issuer}",
    remove: "Remove", removeRegistration: "Remove {issuer}", confirmRemove: "Remove {issuer}? Launches from it will stop working.",
    updated: "Updated",
  },
  es: {
    lms: "LMS (LTI 1.3)",
    lmsHelp: "Conecte su LMS para que el personal abra los módulos de Front Office desde sus cursos y las notas vuelvan.",
    tool: "Las URL de Front Office para su LMS", toolHelp: "Péguelas en su LMS al añadir Front Office a mano como herramienta LTI 1.3.",
    login_url: "URL de inicio de sesión (inicio de OpenID Connect)", launch_url: "URL de lanzamiento (target link y URI de redirección)",
    jwks_url: "URL del conjunto de claves públicas (JWKS)", domain: "Dominio",
    stepsFor: "Pasos en {lms}",
    copy: "Copiar", copied: "Copiado", selectToCopy: "Seleccionado: pulse Ctrl+C (⌘C en Mac) para copiar.",
    dynamic: "Registro dinámico", dynamicHelp: "La forma más rápida, si su LMS la ofrece (Canvas, Moodle, Brightspace): cree una URL y péguela en el LMS. Registra un LMS en el plazo de una hora.",
    makeUrl: "Crear una URL de registro", urlShown: "Pegue esta URL en su LMS antes de {when}. Solo se muestra ahora.",
    openUrls: "URL de registro aún sin usar", made: "Creada", expires: "Caduca", revoke: "Revocar",
    revokeUrl: "Revocar la URL de registro creada", noOpenUrls: "No hay ninguna URL de registro pendiente de usar.",
    register: "Registrar un LMS", registerHelp: "Para un LMS sin registro dinámico: copie aquí sus valores o elija el archivo que lee la orden `lti import` de Front Office.",
    file: "Archivo de registros (JSON)", fileHelp: "Un archivo JSON: {\"registrations\": [{\"issuer\": …, \"client_id\": …, \"deployment_ids\": […], \"auth_login_url\": …, \"auth_token_url\": …, \"key_set_url\": …}]}.",
    fromFile: "Registrar desde el archivo", noFile: "Elija primero un archivo.", notJson: "Este archivo no es JSON: {error}",
    entry: "Entrada {n} ({issuer})", fileDone: "{n} registro(s) guardado(s) desde el archivo.",
    issuer: "Emisor (el `iss` del LMS)", client_id: "ID de cliente", deployment_ids: "ID de implementación (separados por comas)",
    auth_login_url: "URL de autorización (OIDC)", auth_token_url: "URL del token de acceso", key_set_url: "URL del conjunto de claves públicas del LMS",
    save: "Registrar", saved: "{issuer} registrado.",
    registrations: "LMS registrados", refresh: "Actualizar", noRegistrations: "Aún no hay ningún LMS registrado: cree arriba una URL de registro y péguela en su LMS, o regístrelo abajo con sus valores.",
    deployments: "Implementaciones", noDeployments: "ninguna: se rechaza todo lanzamiento hasta que añada una", addDeployment: "Añadir una implementación",
    newDeployment: "Nuevo ID de implementación para {issuer}", removeDeployment: "Quitar la implementación {id} de {issuer}",
    remove: "Quitar", removeRegistration: "Quitar {issuer}", confirmRemove: "¿Quitar {issuer}? Sus lanzamientos dejarán de funcionar.",
    updated: "Actualizado",
  },
};

// Where each LMS takes the tool's URLs, and where it shows its own values for the form below.
const STEPS = {
  Canvas: {
    en: [
      "Admin › Developer Keys › + Developer Key › LTI Key. With dynamic registration, choose “LTI Registration” and paste the registration URL; otherwise choose “Manual Entry”.",
      "Manual entry: Redirect URIs and Target Link URI: the launch URL; OpenID Connect Initiation URL: the login URL; JWK Method “Public JWK URL”: the key set URL.",
      "Save, switch the key ON and copy its Client ID. Admin › Settings › Apps › + App › By Client ID adds it; the app's menu shows its Deployment ID.",
      "Register it below: issuer https://canvas.instructure.com, authorization URL https://sso.canvaslms.com/api/lti/authorize_redirect, token URL https://sso.canvaslms.com/login/oauth2/token, key set URL https://sso.canvaslms.com/api/lti/security/jwks.",
    ],
    es: [
      "Admin › Developer Keys › + Developer Key › LTI Key. Con registro dinámico, elija «LTI Registration» y pegue la URL de registro; si no, elija «Manual Entry».",
      "Entrada manual: Redirect URIs y Target Link URI: la URL de lanzamiento; OpenID Connect Initiation URL: la URL de inicio de sesión; JWK Method «Public JWK URL»: la URL del conjunto de claves.",
      "Guarde, active la clave (ON) y copie su Client ID. Admin › Settings › Apps › + App › By Client ID la añade; el menú de la app muestra su Deployment ID.",
      "Regístrelo abajo: emisor https://canvas.instructure.com, URL de autorización https://sso.canvaslms.com/api/lti/authorize_redirect, URL del token https://sso.canvaslms.com/login/oauth2/token, URL de claves https://sso.canvaslms.com/api/lti/security/jwks.",
    ],
  },
  Moodle: {
    en: [
      "Site administration › Plugins › Activity modules › External tool › Manage tools.",
      "Dynamic: paste the registration URL into “Tool URL” and press “Add LTI Advantage”, then activate the tool.",
      "By hand: “configure a tool manually”, LTI version LTI 1.3; Tool URL, Redirection URI(s) and Content Selection URL: the launch URL; Initiate login URL: the login URL; Public key type “Keyset URL”: the key set URL.",
      "The tool's “View configuration details” shows the Platform ID (issuer), Client ID, Deployment ID, Authentication request URL, Access token URL and Public keyset URL: register them below.",
    ],
    es: [
      "Administración del sitio › Extensiones › Módulos de actividad › Herramienta externa › Gestionar herramientas.",
      "Dinámico: pegue la URL de registro en «URL de la herramienta» y pulse «Añadir LTI Advantage»; después active la herramienta.",
      "A mano: «configurar una herramienta manualmente», versión LTI 1.3; URL de la herramienta, URI de redirección y URL de selección de contenido: la URL de lanzamiento; URL de inicio de sesión: la URL de inicio de sesión; tipo de clave pública «URL del conjunto de claves»: la URL de claves.",
      "«Ver detalles de configuración» muestra el ID de plataforma (emisor), ID de cliente, ID de implementación, URL de autenticación, URL del token de acceso y URL del conjunto de claves: regístrelos abajo.",
    ],
  },
  Schoology: {
    en: [
      "Schoology has no dynamic registration: in the App Center, add Front Office as an LTI 1.3 app.",
      "OIDC Login URL: the login URL; Redirect URL and Target Link URI: the launch URL; JWK URL: the key set URL.",
      "Install the app for your organization; System Settings › Integration › External Tools shows its Client ID and Deployment ID, with Schoology's issuer and URLs: register them below.",
    ],
    es: [
      "Schoology no tiene registro dinámico: en el App Center, añada Front Office como app LTI 1.3.",
      "OIDC Login URL: la URL de inicio de sesión; Redirect URL y Target Link URI: la URL de lanzamiento; JWK URL: la URL del conjunto de claves.",
      "Instale la app para su organización; System Settings › Integration › External Tools muestra su Client ID y Deployment ID, con el emisor y las URL de Schoology: regístrelos abajo.",
    ],
  },
  Brightspace: {
    en: [
      "Admin Tools › Manage Extensibility › LTI Advantage › Register Tool.",
      "Dynamic: choose “Dynamic” and paste the registration URL. Standard: Domain: the domain; Redirect URLs and Target Link URI: the launch URL; OpenID Connect Login URL: the login URL; Keyset URL: the key set URL.",
      "Enable the tool and add a deployment for your org units (View Deployments › New Deployment).",
      "Brightspace shows the Client Id, Issuer, OpenID Connect Authentication Endpoint, OAuth2 Access Token URL, Brightspace Keyset URL and the Deployment Id: register them below.",
    ],
    es: [
      "Admin Tools › Manage Extensibility › LTI Advantage › Register Tool.",
      "Dinámico: elija «Dynamic» y pegue la URL de registro. Estándar: Domain: el dominio; Redirect URLs y Target Link URI: la URL de lanzamiento; OpenID Connect Login URL: la URL de inicio de sesión; Keyset URL: la URL del conjunto de claves.",
      "Active la herramienta y añada una implementación para sus unidades (View Deployments › New Deployment).",
      "Brightspace muestra el Client Id, Issuer, OpenID Connect Authentication Endpoint, OAuth2 Access Token URL, Brightspace Keyset URL y el Deployment Id: regístrelos abajo.",
    ],
  },
};

const FIELDS = ["issuer", "client_id", "deployment_ids", "auth_login_url", "auth_token_url", "key_set_url"];
const WRITABLE = [...FIELDS, "auth_audience"];

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}

export function lmsSection(ui) {
  const { el, call, when } = ui;
  const t = T[ui.lang];
  const status = el("p", { class: "muted", role: "status" });

  // --- the tool's URLs, and each LMS's steps ---------------------------------------------
  const toolError = el("p", { class: "error", role: "alert" });
  const urls = el("div");
  call("GET", "/api/v1/lti/tool").then((tool) => {
    urls.replaceChildren(
      el("dl", { class: "urls" }, ["login_url", "launch_url", "jwks_url", "domain"].flatMap((name) => {
        const value = el("code", { id: `tool-${name}` }, tool[name]);
        return [el("dt", {}, t[name]), el("dd", {}, value, " ", copyButton(el, tool[name], t[name], t, status, value))];
      })),
      ...Object.entries(STEPS).map(([name, steps]) => el("details", {},
        el("summary", {}, fill(t.stepsFor, { lms: name })),
        el("ol", {}, steps[ui.lang].map((step) => el("li", {}, step))))));
  }).catch((failure) => { toolError.textContent = failure.message; });

  // --- dynamic registration -------------------------------------------------------------
  const dynamicError = el("p", { class: "error", role: "alert" });
  const shownUrl = el("div", { "aria-live": "polite" });
  const openUrls = el("div", { class: "table" });
  async function loadUrls() {
    let open;
    try {
      open = await call("GET", "/api/v1/lti/registration-url");
    } catch (failure) {
      dynamicError.textContent = failure.message;
      return;
    }
    if (!open.length) {
      redraw(openUrls, el("p", {}, t.noOpenUrls));
      return;
    }
    redraw(openUrls, el("table", {},
      el("caption", { class: "muted" }, t.openUrls),
      el("thead", {}, el("tr", {}, [t.made, t.expires, ""].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, open.map((item) => el("tr", {},
        el("td", {}, when(item.created_at)),
        el("td", {}, when(item.expires_at)),
        el("td", {}, el("button", {
          type: "button", class: "quiet", "data-key": `revoke-${item.id}`,
          "aria-label": `${t.revokeUrl} ${when(item.created_at)}`,
          onclick: async () => {
            dynamicError.textContent = "";
            try {
              await call("DELETE", `/api/v1/lti/registration-url/${item.id}`);
            } catch (failure) {
              dynamicError.textContent = failure.message;
            }
            shownUrl.replaceChildren();
            await loadUrls();
          },
        }, t.revoke)))))));
  }
  const makeUrl = el("button", {
    type: "button", id: "make-registration-url",
    onclick: async () => {
      dynamicError.textContent = "";
      try {
        const made = await call("POST", "/api/v1/lti/registration-url");
        const code = el("code", { id: "registration-url" }, made.url);
        shownUrl.replaceChildren(el("div", { class: "shown-once", role: "status" },
          el("p", {}, fill(t.urlShown, { when: when(made.expires_at) })), code, " ",
          copyButton(el, made.url, t.dynamic, t, status, code)));
      } catch (failure) {
        dynamicError.textContent = failure.message;
      }
      await loadUrls();
    },
  }, t.makeUrl);
  loadUrls();

  // --- the registrations and their deployments ------------------------------------------
  const listError = el("p", { class: "error", role: "alert" });
  const list = el("div", { class: "table", id: "lti-registrations" });

  async function put(registration) {
    const body = {};
    for (const name of WRITABLE) if (registration[name] !== undefined) body[name] = registration[name];
    return call("POST", "/api/v1/lti/registrations", body);
  }

  async function loadRegistrations() {
    let registrations;
    try {
      registrations = await call("GET", "/api/v1/lti/registrations");
    } catch (failure) {
      listError.textContent = failure.message;
      return;
    }
    if (!registrations.length) {
      redraw(list, el("p", { id: "no-registrations" }, t.noRegistrations));
      return;
    }
    redraw(list, el("table", {},
      el("caption", { class: "muted" }, t.registrations),
      el("thead", {}, el("tr", {}, [t.issuer, t.client_id, t.deployments, t.updated, ""].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, registrations.map((r) => registrationRow(r)))));
  }

  function registrationRow(r) {
    // A refused change stays on screen beside this row's deployments (the list is not redrawn).
    const rowError = el("p", { class: "error", role: "alert", id: `deployment-error-${r.id}` });
    const changeDeployments = async (ids) => {
      rowError.textContent = "";
      try {
        await put({ ...r, deployment_ids: ids });
      } catch (failure) {
        rowError.textContent = failure.message;
        newId.focus();
        return;
      }
      await loadRegistrations();
    };
    const newId = el("input", {
      type: "text", name: "deployment", maxlength: "255", class: "short", "data-key": `deployment-${r.id}`,
      "aria-label": fill(t.newDeployment, { issuer: r.issuer }), "aria-describedby": `deployment-error-${r.id}`,
    });
    const add = el("form", { class: "inline", novalidate: true }, newId,
      el("button", { type: "submit", class: "quiet" }, t.addDeployment));
    add.addEventListener("submit", (event) => {
      event.preventDefault();
      const id = newId.value.trim();
      if (id) changeDeployments([...r.deployment_ids, id]);
    });
    return el("tr", {},
      el("th", { scope: "row" }, r.issuer),
      el("td", {}, el("code", {}, r.client_id)),
      el("td", {},
        r.deployment_ids.length
          ? el("ul", { class: "plain" }, r.deployment_ids.map((id) => el("li", {}, el("code", {}, id), " ",
            el("button", {
              type: "button", class: "quiet small", "data-key": `undeploy-${r.id}-${id}`,
              "aria-label": fill(t.removeDeployment, { id, issuer: r.issuer }),
              onclick: () => changeDeployments(r.deployment_ids.filter((other) => other !== id)),
            }, t.remove))))
          : el("p", { class: "muted" }, t.noDeployments),
        add, rowError),
      el("td", {}, when(r.updated_at)),
      el("td", {}, el("button", {
        type: "button", class: "quiet", "aria-label": fill(t.removeRegistration, { issuer: r.issuer }),
        onclick: async () => {
          if (!confirm(fill(t.confirmRemove, { issuer: r.issuer }))) return;
          listError.textContent = "";
          try {
            await call("DELETE", `/api/v1/lti/registrations/${r.id}`);
          } catch (failure) {
            listError.textContent = failure.message;
          }
          await loadRegistrations();
        },
      }, t.remove)));
  }

  // --- register from a file -------------------------------------------------------------
  const fileInput = el("input", { type: "file", id: "lti-file", accept: ".json,application/json", "aria-describedby": "lti-file-help lti-file-error" });
  const fileError = el("div", { class: "error", id: "lti-file-error", role: "alert" });
  const fileForm = el("form", { novalidate: true },
    el("label", { for: "lti-file" }, t.file), fileInput,
    el("p", { class: "muted", id: "lti-file-help" }, t.fileHelp),
    el("button", { type: "submit" }, t.fromFile), fileError);
  fileForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    fileError.replaceChildren();
    status.textContent = "";
    const file = fileInput.files[0];
    if (!file) {
      fileError.textContent = t.noFile;
      fileInput.focus();
      return;
    }
    let entries;
    try {
      const data = JSON.parse(await file.text());
      entries = Array.isArray(data.registrations) ? data.registrations : [data];
    } catch (failure) {
      fileError.textContent = fill(t.notJson, { error: failure.message });
      fileInput.focus();
      return;
    }
    // Each entry is one call; saving is by (issuer, client ID), so the file can be chosen again
    // once its bad entries are mended.
    const problems = [];
    let saved = 0;
    for (const [index, entry] of entries.entries()) {
      try {
        await put(entry);
        saved += 1;
      } catch (failure) {
        problems.push(el("li", {}, `${fill(t.entry, { n: index + 1, issuer: (entry && entry.issuer) || "?" })}: ${failure.message}`));
      }
    }
    if (problems.length) {
      fileError.replaceChildren(el("ul", {}, problems));
      fileInput.focus();
    }
    if (saved) status.textContent = fill(t.fileDone, { n: saved });
    await loadRegistrations();
  });

  // --- register by its fields -----------------------------------------------------------
  const inputs = {};
  const errors = {};
  const formError = el("p", { class: "error", id: "lti-form-error", role: "alert" });
  const fieldsForm = el("form", { novalidate: true, id: "lti-fields" },
    FIELDS.flatMap((name) => {
      errors[name] = el("p", { class: "error", id: `lti-${name}-error` });
      inputs[name] = el("input", { type: "text", id: `lti-${name}`, name, "aria-describedby": `lti-${name}-error`, autocomplete: "off" });
      return [el("label", { for: `lti-${name}` }, t[name]), inputs[name], errors[name]];
    }),
    el("button", { type: "submit" }, t.save), formError);
  fieldsForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    const body = {};
    for (const name of FIELDS) body[name] = inputs[name].value.trim();
    body.deployment_ids = body.deployment_ids.split(",").map((id) => id.trim()).filter(Boolean);
    try {
      const saved = await put(body);
      clearProblems(errors, formError);
      fieldsForm.reset();
      status.textContent = fill(t.saved, { issuer: saved.issuer });
    } catch (failure) {
      const field = showProblem(failure, errors, formError);
      (field ? inputs[field] : inputs.issuer).focus();
    }
    await loadRegistrations();
  });
  loadRegistrations();

  return el("section", { "aria-labelledby": "lms-title", id: "lms" },
    el("h2", { id: "lms-title" }, t.lms), el("p", { class: "muted" }, t.lmsHelp), status,
    el("h3", {}, t.registrations),
    el("button", { type: "button", class: "quiet", onclick: () => { loadRegistrations(); loadUrls(); } }, t.refresh),
    listError, list,
    el("h3", {}, t.dynamic), el("p", { class: "muted" }, t.dynamicHelp), makeUrl, dynamicError, shownUrl, openUrls,
    el("h3", {}, t.register), el("p", { class: "muted" }, t.registerHelp), fileForm, fieldsForm,
    el("h3", {}, t.tool), el("p", { class: "muted" }, t.toolHelp), toolError, urls);
}
