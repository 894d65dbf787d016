// A participant joins a live workshop from their phone: the code on the screen (or in the QR
// link: /room/join.html#code=...), their name and school. The player then opens with the token.

const TEXT = {
  en: { join: "Join the workshop", code: "Code on the screen", name: "Your name", school: "Your school or site",
    role: "Your job (optional)", joining: "Joining…", missing: "Fill in the code, your name and your school." },
  es: { join: "Unirse al taller", code: "Código en la pantalla", name: "Su nombre", school: "Su escuela o lugar de trabajo",
    role: "Su puesto (opcional)", joining: "Uniéndose…", missing: "Escriba el código, su nombre y su escuela." },
};
const params = new URLSearchParams(window.location.hash.slice(1));
const lang = params.get("lang") === "es" || (!params.get("lang") && navigator.language.startsWith("es")) ? "es" : "en";
document.documentElement.lang = lang;
for (const el of document.querySelectorAll("[data-t]")) el.textContent = TEXT[lang][el.dataset.t];
const $ = (id) => document.getElementById(id);
if (params.get("code")) $("code").value = params.get("code");

$("join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { code: $("code").value.trim(), name: $("name").value.trim(), school: $("school").value.trim(), role: $("role").value.trim() };
  if (!body.code || !body.name || !body.school) { $("status").textContent = TEXT[lang].missing; return; }
  $("status").textContent = TEXT[lang].joining;
  const response = await fetch("/workshops/join", {
    method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) { $("status").textContent = answer.detail || response.statusText; return; }
  const next = new URLSearchParams({ token: answer.token, module: answer.room.module_id || answer.room.modules[0], view: "learner", lang });
  window.location.assign("/player/#" + next.toString());
});
