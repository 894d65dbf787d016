// Sending a family's answer, the card's or the survey's, to its route (the form's
// data-endpoint) and saying what came of it: thanks, "already answered today", or the problem.
// Texts come from the form's data-* attributes, so this file has no language of its own.

export async function send(form, body, say) {
  const text = form.dataset;
  const button = form.querySelector("button[type=submit]");
  const done = document.getElementById("done");
  button.disabled = true;
  const label = button.textContent;
  button.textContent = text.sending;
  try {
    const response = await fetch(text.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    if (response.ok) {
      const receipt = await response.json();
      form.hidden = true;
      done.textContent = receipt.counted ? text.thanks : text.already;
      done.setAttribute("tabindex", "-1");
      done.focus();
      return;
    }
    let detail = "";
    try {
      detail = (await response.json()).detail || "";
    } catch (_) {
      detail = "";
    }
    say(response.status >= 500 || response.status === 429 ? `${text.error} ${text.retry}` : `${text.error} ${detail}`);
  } catch (_) {
    say(`${text.error} ${text.retry}`);
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}
