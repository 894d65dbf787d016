// The family feedback page: sends the form as JSON to the school's answer route and says
// thanks. Texts come from the page (data-* attributes), so this file has no language of its own.
import { send } from "./send.js";

(function () {
  const form = document.getElementById("feedback");
  if (!form) return;
  const problem = document.getElementById("problem");
  const text = form.dataset;

  function value(name) {
    const field = form.elements.namedItem(name);
    if (!field) return "";
    return (field.value || "").trim();
  }

  function checked(name) {
    const chosen = form.querySelector(`input[name="${name}"]:checked`);
    return chosen ? chosen.value : null;
  }

  function say(message) {
    problem.textContent = message;
    problem.scrollIntoView({ block: "center" });
  }

  function answer() {
    const body = {
      score: checked("score") === null ? null : Number(checked("score")),
      reason: checked("reason"),
      resolved: checked("resolved") === null ? null : checked("resolved") === "yes",
      comment: value("comment"),
      language: text.language,
      website: value("website"),
    };
    const name = value("contact_name");
    const phone = value("contact_phone");
    const email = value("contact_email");
    if (name || phone || email) {
      body.contact = { name: name, phone: phone, email: email, consent: form.elements.namedItem("contact_consent").checked };
    }
    return body;
  }

  function firstMissing() {
    for (const name of ["score", "reason", "resolved"]) {
      if (checked(name) === null) return form.querySelector(`input[name="${name}"]`);
    }
    return null;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    problem.textContent = "";
    const missing = firstMissing();
    if (missing) {
      const legend = missing.closest("fieldset").querySelector("legend");
      say(legend.textContent);
      missing.focus();
      return;
    }
    const body = answer();
    if (body.contact) {
      if (!body.contact.phone && !body.contact.email) return say(text.phoneOrEmail);
      if (!body.contact.consent) return say(text.consentNeeded);
    }
    await send(form, body, say);
  });
})();
