// The family survey page: sends the answers as JSON to the school's survey route and says
// thanks. Questions are read from the page (data-question on each), texts from data-*
// attributes, so this file has no language and no question of its own.
import { send } from "./send.js";

(function () {
  const form = document.getElementById("survey");
  if (!form) return;
  const problem = document.getElementById("problem");
  const text = form.dataset;

  function say(message) {
    problem.textContent = message;
    problem.scrollIntoView({ block: "center" });
  }

  // The answers by question id (questions left empty are skipped), and the first required one
  // left empty, if any.
  function read() {
    const answers = {};
    let missing = null;
    form.querySelectorAll("[data-question]").forEach(function (question) {
      const kind = question.dataset.question;
      const name = question.dataset.name || question.getAttribute("name");
      let value = null;
      if (kind === "text") {
        const said = question.value.trim();
        if (said) value = said;
      } else {
        const chosen = Array.from(question.querySelectorAll("input:checked")).map((input) => input.value);
        if (kind === "many" && chosen.length) value = chosen;
        else if (kind === "one" && chosen.length) value = chosen[0];
        else if (kind === "scale" && chosen.length) value = Number(chosen[0]);
      }
      if (value !== null) answers[name] = value;
      else if (missing === null && question.hasAttribute("data-required")) missing = question;
    });
    return { answers: answers, missing: missing };
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    problem.textContent = "";
    const found = read();
    if (found.missing) {
      const legend = found.missing.querySelector("legend");
      say(legend ? legend.textContent : found.missing.labels[0].textContent);
      const first = found.missing.matches("textarea") ? found.missing : found.missing.querySelector("input");
      first.focus();
      return;
    }
    const body = {
      language: text.language,
      answers: found.answers,
      website: (form.elements.namedItem("website").value || "").trim(),
    };
    await send(form, body, say);
  });
})();
