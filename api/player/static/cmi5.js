// Front Office player: the AU side of a cmi5 launch. Loaded by player.js only when the page is
// opened at /player/cmi5 (an AU's URL from the district's cmi5 package), never otherwise.
//
// The LMS opens  /player/cmi5?pk=<package key>&module=<id>&endpoint=…&fetch=…&actor=…&registration=…&activityId=…
// 1. POST the fetch URL once: the LRS's auth token (the fetch URL answers only once, so the
//    session is kept in sessionStorage, by its fetch URL, for a reload of this tab).
// 2. GET the LMS.LaunchData state document: the context template (with the session id),
//    launch mode, moveOn, masteryScore and return URL.
// 3. POST the actor and package key to Front Office: a learner token for the player.
// 4. Statements to the LMS's LRS, each with the context template, the registration and the
//    cmi5 category: initialized now; completed (and passed, with the moveOn category) when the
//    module's completion is recorded; terminated when the learner leaves or returns to the LMS.

const CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
const MOVE_ON = "https://w3id.org/xapi/cmi5/context/categories/moveon";
const MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
const VERBS = {
  initialized: "http://adlnet.gov/expapi/verbs/initialized",
  completed: "http://adlnet.gov/expapi/verbs/completed",
  passed: "http://adlnet.gov/expapi/verbs/passed",
  terminated: "http://adlnet.gov/expapi/verbs/terminated",
};
const STORE = "fo-cmi5";

export class Cmi5Error extends Error {}

// A session is one launch: one fetch URL (a new launch of the same registration is a new session).
function saved(fetchUrl) {
  try {
    const stored = JSON.parse(window.sessionStorage.getItem(STORE) || "null");
    return stored && stored.fetch === fetchUrl ? stored : null;
  } catch (_) {
    return null;
  }
}

function keep(session) {
  try {
    window.sessionStorage.setItem(STORE, JSON.stringify(session));
  } catch (_) {
    /* storage denied in an LMS frame: the session lives in memory only */
  }
}

function withSlash(url) {
  return url.endsWith("/") ? url : url + "/";
}

function lrsHeaders(session) {
  return { Authorization: "Basic " + session.auth, "X-Experience-API-Version": "1.0.3" };
}

async function authToken(fetchUrl) {
  const response = await fetch(fetchUrl, { method: "POST", credentials: "omit", cache: "no-store" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body["auth-token"]) {
    throw new Cmi5Error("The LMS did not give this launch its authorization (" + (body["error-text"] || "HTTP " + response.status) + "). Open the module again from your course.");
  }
  return body["auth-token"];
}

async function launchData(session) {
  const query = new URLSearchParams({ stateId: "LMS.LaunchData", activityId: session.activityId, agent: JSON.stringify(session.actor), registration: session.registration });
  const response = await fetch(session.endpoint + "activities/state?" + query, { headers: lrsHeaders(session), credentials: "omit", cache: "no-store" });
  if (!response.ok) throw new Cmi5Error("The LMS did not give this launch its launch data (HTTP " + response.status + "). Open the module again from your course.");
  return response.json();
}

async function learnerToken(packageKey, actor) {
  const response = await fetch("/cmi5/learner-tokens", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ package_key: packageKey, actor: { objectType: "Agent", name: actor.name || "", account: actor.account } }),
    credentials: "omit",
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Cmi5Error(body.detail || "Front Office refused this launch (HTTP " + response.status + ").");
  return body.token;
}

function duration(session) {
  return "PT" + Math.max(0, (Date.now() - session.startedAt) / 1000).toFixed(2) + "S";
}

function statement(session, verb, result, moveOn) {
  const context = JSON.parse(JSON.stringify(session.data.contextTemplate || {}));
  context.registration = session.registration;
  const activities = (context.contextActivities = context.contextActivities || {});
  const category = (activities.category = activities.category || []);
  for (const id of moveOn ? [CMI5, MOVE_ON] : [CMI5]) {
    if (!category.some((c) => c.id === id)) category.push({ id, objectType: "Activity" });
  }
  if (verb === "passed" && typeof session.data.masteryScore === "number") {
    context.extensions = Object.assign(context.extensions || {}, { [MASTERY]: session.data.masteryScore });
  }
  const sent = { id: crypto.randomUUID(), timestamp: new Date().toISOString(), actor: session.actor, verb: { id: VERBS[verb], display: { "en-US": verb } }, object: { id: session.activityId, objectType: "Activity" }, context };
  if (result) sent.result = result;
  return sent;
}

// One statement at a time, in order; each verb at most once per session.
async function send(session, verb, result, moveOn, keepalive) {
  if (session.sent[verb]) return;
  session.sent[verb] = true;
  keep(session);
  const response = await fetch(session.endpoint + "statements", {
    method: "POST",
    headers: Object.assign({ "Content-Type": "application/json" }, lrsHeaders(session)),
    body: JSON.stringify(statement(session, verb, result, moveOn)),
    credentials: "omit",
    keepalive: Boolean(keepalive),
  });
  if (!response.ok) {
    session.sent[verb] = false;
    keep(session);
    throw new Cmi5Error("The LMS did not record your progress (HTTP " + response.status + ").");
  }
}

// The launch from the page's query: the player's launch ({token, module, ...}) and this session.
export async function start(query) {
  const need = ["endpoint", "fetch", "actor", "registration", "activityId", "pk", "module"];
  const missing = need.filter((name) => !query.get(name));
  if (missing.length) throw new Cmi5Error("This cmi5 launch lacks " + missing.join(", ") + ". Open the module from your course in the LMS.");
  let actor;
  try {
    actor = JSON.parse(query.get("actor"));
  } catch (_) {
    throw new Cmi5Error("The LMS sent an actor that is not JSON. Open the module again from your course.");
  }
  if (!actor || !actor.account || !actor.account.homePage || !actor.account.name) {
    throw new Cmi5Error("The LMS sent an actor without an account (homePage and name), which cmi5 requires.");
  }
  let session = saved(query.get("fetch"));
  if (!session) {
    session = { fetch: query.get("fetch"), endpoint: withSlash(query.get("endpoint")), actor, registration: query.get("registration"), activityId: query.get("activityId"), sent: {}, startedAt: Date.now() };
    session.auth = await authToken(query.get("fetch"));
    session.data = await launchData(session);
    session.token = await learnerToken(query.get("pk"), actor);
    keep(session);
  }
  await send(session, "initialized");
  // Statements go one after another, whoever asks: completed before passed before terminated.
  let queue = Promise.resolve();
  const serially = (work) => (queue = queue.catch(() => {}).then(work));
  const launch = { token: session.token, module: query.get("module"), lang: "", view: "learner", dl: "", step: 0 };
  return {
    launch,
    // The module's completion is recorded: completed, and passed where it has a pass mark.
    completed(completion) {
      if ((session.data.launchMode || "Normal") !== "Normal") return queue; // Browse and Review never judge
      return serially(async () => {
        if (session.sent.terminated) return;
        const time = duration(session);
        await send(session, "completed", { completion: true, duration: time }, true);
        if (completion.passed === true && typeof session.data.masteryScore === "number") {
          const score = { scaled: Math.min(1, Math.max(0, completion.score === null ? 1 : completion.score)) };
          await send(session, "passed", { success: true, score, duration: time }, true);
        }
      });
    },
    // The last statement of the session; `leaving` when the page is going away.
    terminate(leaving) {
      if (leaving) return send(session, "terminated", { duration: duration(session) }, false, true);
      return serially(() => send(session, "terminated", { duration: duration(session) }, false, false));
    },
    returnUrl: session.data.returnURL || "",
  };
}
