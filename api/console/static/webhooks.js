// The console's webhooks page, as Svix's portal: endpoints (made with their event types, their
// secret shown once), each endpoint's state (active, failing, disabled), a test send, the
// secret's rotation, the delivery log with every attempt's status and response, replaying one
// delivery and recovering everything failed since a time. On the public JSON API, through `ui`.

import { clearProblems, copyButton, redraw, showProblem } from "./fields.js";

const T = {
  en: {
    webhooks: "Webhooks", help: "Front Office sends events (a completion, a form submitted…) to your systems' URLs, signed by the Standard Webhooks scheme.",
    newEndpoint: "Add an endpoint", url: "Endpoint URL (https)", description: "Description (optional)",
    eventTypes: "Event types", eventTypesHelp: "Choose none to receive every event type.", create: "Add endpoint",
    secretShown: "Copy this signing secret now: it is shown only once. Verify each delivery's signature with it.",
    endpoints: "Endpoints", noEndpoints: "No endpoints yet: add your system's URL above, then send it a test event.",
    state: "State", active: "active", failing: "failing since {when}", disabled: "disabled: {reason}", off: "switched off",
    allTypes: "all event types", open: "Manage", manage: "Manage {url}", close: "Close",
    endpoint: "Endpoint {url}", sendTest: "Send a test event", testSent: "A test event (ping) is on its way; watch the delivery log below.",
    rotate: "Rotate the secret", rotated: "New signing secret (the old one also signs for 24 hours):", rotatingUntil: "The previous secret also signs until {when}.",
    disable: "Switch off", enable: "Switch on", remove: "Delete endpoint", confirmRemove: "Delete the endpoint {url}? Its delivery log goes with it.",
    failingHelp: "Deliveries to this endpoint fail. Mend the receiver, then replay a delivery or recover everything since the failures began.",
    disabledHelp: "Nothing is sent to this endpoint. Switch it on, then recover what it missed.",
    recover: "Recover since", recoverButton: "Recover", recovered: "{n} delivery(ies) will be sent again.",
    log: "Delivery log", noDeliveries: "No deliveries yet: send a test event above.", refresh: "Refresh",
    event: "Event", created: "Created", status: "Status", attempts: "Attempts", response: "Last response",
    statuses: { pending: "waiting", leased: "sending", succeeded: "delivered", failed: "failed", skipped: "skipped" },
    nextAt: "next try {when}", replay: "Replay", replayOf: "Replay {type} of {when}", replaying: "The delivery will be sent again now.",
    details: "Attempts of {type} of {when}", attemptsOf: "Attempts of the {type} delivery", noAttempts: "Not tried yet.",
    when: "When", code: "Status code", time: "Time", body: "Response (first 1 KiB)", error: "Error", none: "no answer",
    copy: "Copy", copied: "Copied", selectToCopy: "Selected: press Ctrl+C (⌘C on a Mac) to copy.", secret: "signing secret",
  },
  es: {
    webhooks: "Webhooks", help: "Front Office envía eventos (una finalización, un formulario enviado…) a las URL de sus sistemas, firmados según Standard Webhooks.",
    newEndpoint: "Añadir un destino", url: "URL del destino (https)", description: "Descripción (opcional)",
    eventTypes: "Tipos de evento", eventTypesHelp: "No elija ninguno para recibir todos los tipos.", create: "Añadir destino",
    secretShown: "Copie ahora este secreto de firma: solo se muestra una vez. Verifique con él la firma de cada entrega.",
    endpoints: "Destinos", noEndpoints: "Aún no hay destinos: añada arriba la URL de su sistema y envíele un evento de prueba.",
    state: "Estado", active: "activo", failing: "falla desde {when}", disabled: "desactivado: {reason}", off: "apagado",
    allTypes: "todos los tipos de evento", open: "Gestionar", manage: "Gestionar {url}", close: "Cerrar",
    endpoint: "Destino {url}", sendTest: "Enviar un evento de prueba", testSent: "Un evento de prueba (ping) va en camino; vea el registro de entregas abajo.",
    rotate: "Cambiar el secreto", rotated: "Nuevo secreto de firma (el anterior también firma durante 24 horas):", rotatingUntil: "El secreto anterior también firma hasta {when}.",
    disable: "Apagar", enable: "Encender", remove: "Eliminar destino", confirmRemove: "¿Eliminar el destino {url}? Su registro de entregas se elimina con él.",
    failingHelp: "Las entregas a este destino fallan. Arregle el receptor y después reenvíe una entrega o recupere todo desde que empezaron los fallos.",
    disabledHelp: "No se envía nada a este destino. Enciéndalo y después recupere lo que no recibió.",
    recover: "Recuperar desde", recoverButton: "Recuperar", recovered: "Se volverán a enviar {n} entrega(s).",
    log: "Registro de entregas", noDeliveries: "Aún no hay entregas: envíe arriba un evento de prueba.", refresh: "Actualizar",
    event: "Evento", created: "Creada", status: "Estado", attempts: "Intentos", response: "Última respuesta",
    statuses: { pending: "en espera", leased: "enviando", succeeded: "entregada", failed: "fallida", skipped: "omitida" },
    nextAt: "próximo intento {when}", replay: "Reenviar", replayOf: "Reenviar {type} del {when}", replaying: "La entrega se volverá a enviar ahora.",
    details: "Intentos de {type} del {when}", attemptsOf: "Intentos de la entrega {type}", noAttempts: "Aún no se ha intentado.",
    when: "Cuándo", code: "Código", time: "Tiempo", body: "Respuesta (primer KiB)", error: "Error", none: "sin respuesta",
    copy: "Copiar", copied: "Copiado", selectToCopy: "Seleccionado: pulse Ctrl+C (⌘C en Mac) para copiar.", secret: "secreto de firma",
  },
};

const POLL_MS = 2000;
const SOON_MS = 60_000; // a delivery due within this is watched until it is done

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}

// A datetime-local value (the person's own clock) for `date`.
function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function webhooksSection(ui) {
  const { el, call, when } = ui;
  const t = T[ui.lang];
  const status = el("p", { class: "muted", role: "status" });
  const listError = el("p", { class: "error", role: "alert" });
  const list = el("div", { class: "table", id: "webhook-endpoints" });
  const panel = el("div", { id: "endpoint-panel" });
  let openId = null;

  function stateOf(endpoint) {
    if (endpoint.state === "disabled") return fill(t.disabled, { reason: endpoint.disabled_reason || "" });
    if (endpoint.state === "failing") return fill(t.failing, { when: when(endpoint.failing_since) });
    return endpoint.enabled ? t.active : t.off;
  }

  function secretBox(message, secret, id) {
    const code = el("code", { id }, secret);
    return el("div", { class: "shown-once", role: "status" }, el("p", {}, message), code, " ",
      copyButton(el, secret, t.secret, t, status, code));
  }

  // --- a new endpoint -------------------------------------------------------------------
  const url = el("input", { type: "url", id: "endpoint-url", name: "url", maxlength: "2000", "aria-describedby": "endpoint-url-error", autocomplete: "off" });
  const description = el("input", { type: "text", id: "endpoint-description", name: "description", maxlength: "500", "aria-describedby": "endpoint-description-error" });
  const fieldErrors = {
    url: el("p", { class: "error", id: "endpoint-url-error" }),
    description: el("p", { class: "error", id: "endpoint-description-error" }),
    event_types: el("p", { class: "error", id: "endpoint-types-error" }),
  };
  const formError = el("p", { class: "error", role: "alert" });
  const types = el("fieldset", { "aria-describedby": "endpoint-types-help endpoint-types-error" }, el("legend", {}, t.eventTypes));
  const shownSecret = el("div", { "aria-live": "polite" });
  call("GET", "/api/v1/webhooks/event-types").then((known) => {
    types.append(el("p", { class: "muted", id: "endpoint-types-help" }, t.eventTypesHelp),
      el("ul", { class: "plain" }, known.map((type) => el("li", {},
        el("label", { class: "check" }, el("input", { type: "checkbox", name: "event_type", value: type.type }),
          el("code", {}, type.type), el("span", { class: "muted" }, type.description))))),
      fieldErrors.event_types);
  }).catch((failure) => { formError.textContent = failure.message; });
  const form = el("form", { novalidate: true, id: "endpoint-form" },
    el("label", { for: "endpoint-url" }, t.url), url, fieldErrors.url,
    el("label", { for: "endpoint-description" }, t.description), description, fieldErrors.description,
    types, el("button", { type: "submit" }, t.create), formError);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      url: url.value.trim(), description: description.value.trim(),
      event_types: [...form.querySelectorAll("input[name=event_type]:checked")].map((box) => box.value),
    };
    try {
      const made = await call("POST", "/api/v1/webhooks/endpoints", body);
      clearProblems(fieldErrors, formError);
      shownSecret.replaceChildren(secretBox(t.secretShown, made.secret, "endpoint-secret"));
      form.reset();
      await loadEndpoints();
    } catch (failure) {
      const field = showProblem(failure, fieldErrors, formError);
      (field === "description" ? description : url).focus();
    }
  });

  // --- the endpoints --------------------------------------------------------------------
  async function loadEndpoints() {
    let endpoints;
    try {
      endpoints = await call("GET", "/api/v1/webhooks/endpoints");
    } catch (failure) {
      listError.textContent = failure.message;
      return [];
    }
    if (!endpoints.length) {
      redraw(list, el("p", {}, t.noEndpoints));
      return endpoints;
    }
    redraw(list, el("table", {},
      el("caption", { class: "muted" }, t.endpoints),
      el("thead", {}, el("tr", {}, [t.url, t.eventTypes, t.state, ""].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, endpoints.map((endpoint) => el("tr", { class: `state-${endpoint.state}` },
        el("th", { scope: "row" }, el("code", {}, endpoint.url), endpoint.description ? el("div", { class: "muted" }, endpoint.description) : null),
        el("td", {}, endpoint.event_types.length ? endpoint.event_types.join(", ") : t.allTypes),
        el("td", {}, el("span", { class: `badge ${endpoint.state}` }, stateOf(endpoint))),
        el("td", {}, el("button", {
          type: "button", class: "quiet", "data-key": `manage-${endpoint.id}`,
          "aria-label": fill(t.manage, { url: endpoint.url }), "aria-expanded": String(openId === endpoint.id),
          onclick: () => openEndpoint(endpoint.id),
        }, t.open)))))));
    return endpoints;
  }

  // --- one endpoint: its actions and delivery log ----------------------------------------
  let poll = null;

  async function openEndpoint(id) {
    openId = id;
    clearTimeout(poll);
    await loadEndpoints();
    await drawPanel(true);
  }

  async function drawPanel(focus) {
    const id = openId;
    let endpoint;
    try {
      endpoint = await call("GET", `/api/v1/webhooks/endpoints/${id}`);
    } catch (failure) {
      redraw(panel, el("p", { class: "error", role: "alert" }, failure.message));
      return;
    }
    const error = el("p", { class: "error", role: "alert", id: "endpoint-error" });
    const done = el("div", { "aria-live": "polite" });
    const log = el("div", { class: "table", id: "delivery-log" });
    const detail = el("div", { id: "delivery-detail", tabindex: "-1" });
    const action = (label, key, work) => el("button", {
      type: "button", class: "quiet", "data-key": key,
      onclick: async () => {
        error.textContent = "";
        try {
          await work();
        } catch (failure) {
          error.textContent = failure.message;
        }
      },
    }, label);
    const since = el("input", { type: "datetime-local", id: "recover-since", "aria-describedby": "endpoint-error", value: localInput(new Date(Date.now() - 86_400_000)) });
    const recover = el("form", { class: "inline", novalidate: true },
      el("label", { for: "recover-since" }, t.recover), since,
      el("button", { type: "submit", class: "quiet" }, t.recoverButton));
    recover.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      try {
        const chosen = new Date(since.value);
        const result = await call("POST", `/api/v1/webhooks/endpoints/${id}/recover`, {
          since: Number.isNaN(chosen.getTime()) ? since.value : chosen.toISOString(),
        });
        done.textContent = fill(t.recovered, { n: result.redelivering });
        watch();
        await loadLog();
      } catch (failure) {
        error.textContent = failure.message;
        since.focus();
      }
    });
    const badge = el("span", { id: "endpoint-state" });
    const notice = el("p", { class: "notice" });
    const isOn = () => endpoint.enabled && endpoint.state !== "disabled";
    let toggle = null;
    // The state (failing, disabled) follows the deliveries: shown afresh as they come in.
    function showState(now) {
      endpoint = now;
      badge.className = `badge ${now.state}`;
      badge.textContent = stateOf(now);
      notice.textContent = now.state === "disabled" ? t.disabledHelp : now.state === "failing" ? t.failingHelp : "";
      if (toggle) toggle.textContent = isOn() ? t.disable : t.enable;
    }
    showState(endpoint);
    // An event sent or a delivery replayed reaches the log only once the dispatcher has taken it
    // up: the log is watched for a while after each.
    let watchUntil = 0;
    const watch = () => { watchUntil = Date.now() + SOON_MS; };
    const heading = el("h3", { id: "endpoint-title", tabindex: "-1" }, fill(t.endpoint, { url: endpoint.url }));

    async function loadLog() {
      clearTimeout(poll);
      let deliveries;
      try {
        deliveries = await call("GET", `/api/v1/webhooks/endpoints/${id}/deliveries?limit=50`);
      } catch (failure) {
        error.textContent = failure.message;
        return;
      }
      if (openId !== id) return;
      if (!deliveries.length) {
        redraw(log, el("p", {}, t.noDeliveries));
      } else {
        redraw(log, el("table", {},
          el("caption", { class: "muted" }, t.log),
          el("thead", {}, el("tr", {}, [t.event, t.created, t.status, t.attempts, t.response, "", ""].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, deliveries.map((d) => deliveryRow(d)))));
      }
      // Deliveries on their way (or due soon) are watched until they are done.
      const soon = Date.now() + SOON_MS;
      const moving = deliveries.some((d) => d.status === "leased"
        || (d.status === "pending" && (!d.next_attempt_at || new Date(d.next_attempt_at).getTime() <= soon)));
      if (moving || Date.now() < watchUntil) {
        poll = setTimeout(async () => {
          if (openId !== id || !panel.isConnected) return;
          await refreshEndpoint();
          await loadLog();
        }, POLL_MS);
      }
    }

    async function refreshEndpoint() {
      const endpoints = await loadEndpoints();
      const now = endpoints.find((e) => e.id === id);
      if (now) showState(now);
    }

    function deliveryRow(d) {
      const label = { type: d.event_type, when: when(d.created_at) };
      const response = d.last_status_code ? String(d.last_status_code) : d.last_error ? `${t.none}: ${d.last_error}` : "";
      const shown = t.statuses[d.status] || d.status;
      return el("tr", { class: `delivery-${d.status}` },
        el("th", { scope: "row" }, el("code", {}, d.event_type)),
        el("td", {}, when(d.created_at)),
        el("td", {}, shown, d.status === "pending" && d.next_attempt_at && d.attempts ? el("div", { class: "muted" }, fill(t.nextAt, { when: when(d.next_attempt_at) })) : null),
        el("td", {}, String(d.attempts)),
        el("td", {}, response),
        el("td", {}, el("button", {
          type: "button", class: "quiet small", "data-key": `attempts-${d.id}`, "aria-label": fill(t.details, label),
          onclick: () => showAttempts(d),
        }, t.attempts)),
        el("td", {}, d.status === "leased" ? "" : el("button", {
          type: "button", class: "quiet small", "data-key": `replay-${d.id}`, "aria-label": fill(t.replayOf, label),
          onclick: async () => {
            error.textContent = "";
            try {
              await call("POST", `/api/v1/webhooks/endpoints/${id}/deliveries/${d.id}/redeliver`);
              done.textContent = t.replaying;
              watch();
            } catch (failure) {
              error.textContent = failure.message;
            }
            await loadLog();
          },
        }, t.replay)));
    }

    async function showAttempts(d) {
      let found;
      try {
        found = await call("GET", `/api/v1/webhooks/endpoints/${id}/deliveries/${d.id}`);
      } catch (failure) {
        error.textContent = failure.message;
        return;
      }
      const title = fill(t.attemptsOf, { type: d.event_type });
      detail.replaceChildren(el("h4", {}, title), found.attempts.length
        ? el("table", {},
          el("caption", { class: "muted" }, title),
          el("thead", {}, el("tr", {}, [t.when, t.code, t.time, t.body, t.error].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, found.attempts.map((a) => el("tr", {},
            el("td", {}, when(a.attempted_at)),
            el("td", {}, a.status_code === null ? t.none : String(a.status_code)),
            el("td", {}, `${Math.round(a.duration_ms)} ms`),
            el("td", {}, el("pre", {}, a.response_excerpt)),
            el("td", {}, a.error || "")))))
        : el("p", {}, t.noAttempts));
      detail.focus();
    }

    toggle = action(isOn() ? t.disable : t.enable, "enabled", async () => {
      await call("PATCH", `/api/v1/webhooks/endpoints/${id}`, { enabled: !isOn() });
      await refreshEndpoint();
    });
    redraw(panel, el("div", { class: "panel", role: "region", "aria-labelledby": "endpoint-title" },
      heading,
      el("p", {}, `${t.state}: `, badge),
      notice,
      endpoint.rotating_until ? el("p", { class: "muted" }, fill(t.rotatingUntil, { when: when(endpoint.rotating_until) })) : null,
      el("div", { class: "actions" },
        action(t.sendTest, "test", async () => {
          await call("POST", `/api/v1/webhooks/endpoints/${id}/test`);
          done.textContent = t.testSent;
          watch();
          await loadLog();
        }),
        action(t.rotate, "rotate", async () => {
          const rotated = await call("POST", `/api/v1/webhooks/endpoints/${id}/rotate-secret`);
          done.replaceChildren(secretBox(t.rotated, rotated.secret, "rotated-secret"));
        }),
        toggle,
        action(t.remove, "remove", async () => {
          if (!confirm(fill(t.confirmRemove, { url: endpoint.url }))) return;
          await call("DELETE", `/api/v1/webhooks/endpoints/${id}`);
          openId = null;
          panel.replaceChildren();
          await loadEndpoints();
          endpointsTitle.focus();
        }),
        action(t.close, "close", async () => {
          openId = null;
          clearTimeout(poll);
          panel.replaceChildren();
          await loadEndpoints();
        })),
      recover, error, done,
      el("h4", {}, t.log), action(t.refresh, "refresh", async () => { watch(); await refreshEndpoint(); await loadLog(); }),
      log, detail));
    if (focus) heading.focus();
    await loadLog();
  }

  const endpointsTitle = el("h3", { tabindex: "-1" }, t.endpoints);
  loadEndpoints();
  return el("section", { "aria-labelledby": "webhooks-title", id: "webhooks" },
    el("h2", { id: "webhooks-title" }, t.webhooks), el("p", { class: "muted" }, t.help), status,
    el("h3", {}, t.newEndpoint), form, shownSecret,
    endpointsTitle, listError, list, panel);
}
