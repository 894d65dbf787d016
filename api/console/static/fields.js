// Helpers of the console's forms: a problem's `detail` shown beside the field it names, and a
// copy button for URLs and secrets.

// `fields` maps a body field (`key_set_url`) to the <p class="error"> beside its input;
// `general` is the form's own. The detail goes beside the first field the problem names (or the
// form's, when it names none); each other field named gets its own message.
export function showProblem(failure, fields, general) {
  for (const box of [...Object.values(fields), general]) box.textContent = "";
  const named = (failure.errors || [])
    .map((error) => [String(error.field || "").replace(/^\$\./, "").split(/[.[]/)[0], error.message])
    .filter(([field]) => fields[field]);
  if (!named.length) {
    general.textContent = failure.message;
    return null;
  }
  named.forEach(([field, message], index) => {
    if (!fields[field].textContent) fields[field].textContent = index === 0 ? failure.message : message;
  });
  return named[0][0];
}

export function clearProblems(fields, general) {
  for (const box of [...Object.values(fields), general]) box.textContent = "";
}

// Copies `text`; where the clipboard is refused, selects the text shown in `target` instead
// so the person can copy it with their keyboard.
export function copyButton(el, text, label, words, status, target) {
  return el("button", {
    type: "button", class: "quiet",
    "aria-label": `${words.copy}: ${label}`,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
        status.textContent = `${words.copied}: ${label}`;
      } catch (refused) {
        if (target) getSelection().selectAllChildren(target);
        status.textContent = words.selectToCopy;
      }
    },
  }, words.copy);
}

// Redraws `box` from `build()` and gives the focus back to the control that had it (found again
// by its data-key): a list refreshed under a keyboard user must not drop them at the page's top.
export function redraw(box, ...children) {
  const focused = document.activeElement && box.contains(document.activeElement)
    ? document.activeElement.getAttribute("data-key") : null;
  box.replaceChildren(...children);
  if (focused) {
    const again = box.querySelector(`[data-key="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}
