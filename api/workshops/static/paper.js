// A participant's paper worksheet typed in by the facilitator: a form's items as plain inputs,
// read back as the answers the paper route takes, and the route's problems shown beside them.
// Not the player's renderer: that one edits a learner's own attempt (autosave, shuffled options,
// scenarios walked step by step through their attempt); paper has none of these, only what the
// person wrote down, in the packet's order.

let uid = 0;
const nextId = (prefix) => `${prefix}-${(uid += 1)}`;

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") el.textContent = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  el.append(...children.filter((c) => c !== null && c !== undefined));
  return el;
}

// Texts come as sanitized HTML (format=html); labels show them as plain text.
const plain = (html) => new DOMParser().parseFromString(html, "text/html").body.textContent.trim();

function scale(item, name, legendId) {
  const labels = Object.fromEntries(item.scale.labels.map((l) => [l.value, l.label]));
  const group = h("div", { class: "scale", role: "radiogroup", "aria-labelledby": legendId });
  for (let v = item.scale.min; v <= item.scale.max; v++) {
    const id = nextId("pt");
    const text = labels[v] ? `${v} ${labels[v]}` : String(v);
    group.append(h("span", { class: "pill" }, h("input", { type: "radio", id, name, value: String(v) }), h("label", { for: id, text })));
  }
  return group;
}
const picked = (root, name) => {
  const box = root.querySelector(`input[name="${CSS.escape(name)}"]:checked`);
  return box ? Number(box.value) : undefined;
};

// Each kind: its inputs, and how to read them (undefined: left blank on paper).
const KINDS = {
  text_entry: (item, t, field) => {
    const id = nextId("text");
    field.append(h("label", { for: id, class: "visually-hidden", text: t("answer") }), h("input", { id, maxlength: "200", autocomplete: "off" }));
    return () => field.querySelector("input").value.trim() || undefined;
  },
  extended_text: (item, t, field) => {
    const id = nextId("text");
    field.append(h("label", { for: id, class: "visually-hidden", text: t("answer") }), h("textarea", { id, rows: "4", maxlength: String(item.max_length) }));
    return () => field.querySelector("textarea").value.trim() || undefined;
  },
  list: (item, t, field) => {
    const list = h("ol", { class: "lines" });
    const add = (focus) => {
      if (list.children.length >= item.max_entries) return;
      const id = nextId("line");
      const input = h("input", { id, maxlength: String(item.max_entry_length), autocomplete: "off" });
      list.append(h("li", {}, h("label", { for: id, class: "visually-hidden", text: t("line", { n: list.children.length + 1 }) }), input));
      if (focus) input.focus();
    };
    for (let i = 0; i < Math.min(item.max_entries, Math.max(item.min_entries, 1) + 2); i++) add(false);
    field.append(list, h("button", { type: "button", text: t("add_line"), onclick: () => add(true) }));
    return () => {
      const lines = [...list.querySelectorAll("input")].map((i) => i.value.trim()).filter(Boolean);
      return lines.length ? lines : undefined;
    };
  },
  choice: (item, t, field, name) => {
    for (const option of item.options) {
      const id = nextId("opt");
      field.append(h("div", { class: "option" }, h("input", { type: item.multiple ? "checkbox" : "radio", id, name, value: option.id }), h("label", { for: id, text: plain(option.text) })));
    }
    return () => {
      const chosen = [...field.querySelectorAll("input:checked")].map((i) => i.value);
      return chosen.length ? chosen : undefined;
    };
  },
  rating: (item, t, field, name, legendId) => {
    field.append(scale(item, name, legendId));
    return () => picked(field, name);
  },
  matrix: (item, t, field, name) => {
    for (const statement of item.statements) {
      const labelId = nextId("stmt");
      field.append(h("p", { id: labelId, class: "statement", text: plain(statement.text) }), scale(item, `${name}.${statement.id}`, labelId));
    }
    return () => {
      const rated = {};
      for (const s of item.statements) {
        const v = picked(field, `${name}.${s.id}`);
        if (v !== undefined) rated[s.id] = v;
      }
      return Object.keys(rated).length ? rated : undefined;
    };
  },
  classify: (item, t, field) => {
    for (const entry of item.entries) {
      const id = nextId("cat");
      const select = h("select", { id, "data-entry": entry.id }, h("option", { value: "", text: "—" }), ...item.categories.map((c) => h("option", { value: c.id, text: c.label })));
      field.append(h("p", {}, h("label", { for: id, text: plain(entry.text) }), " ", select));
    }
    return () => {
      const placed = Object.fromEntries([...field.querySelectorAll("select")].filter((s) => s.value).map((s) => [s.dataset.entry, s.value]));
      return Object.keys(placed).length ? placed : undefined;
    };
  },
  order: (item, t, field) => {
    field.append(h("p", { class: "hint", text: t("order_hint") }));
    for (const entry of item.entries) {
      const id = nextId("pos");
      field.append(h("p", {}, h("input", { id, type: "number", min: "1", max: String(item.entries.length), inputmode: "numeric", "data-entry": entry.id, class: "pos" }), " ", h("label", { for: id, text: plain(entry.text) })));
    }
    return () => {
      const numbered = [...field.querySelectorAll("input")].filter((i) => i.value).map((i) => [Number(i.value), i.dataset.entry]);
      return numbered.length ? numbered.sort((a, b) => a[0] - b[0]).map(([, entry]) => entry) : undefined;
    };
  },
  table: (item, t, field) => {
    const rows = item.rows.length ? item.rows : Array.from({ length: Math.max(item.min_rows, 1) + 1 }, (_, i) => ({ id: null, label: t("row", { n: i + 1 }) }));
    const body = h("div", { class: "cells" });
    for (const row of rows) {
      const group = h("fieldset", { class: "table-row", "data-row": row.id || "" }, h("legend", { text: row.label }));
      for (const column of item.columns) {
        const id = nextId("cell");
        group.append(h("p", {}, h("label", { for: id, text: column.label }), h("textarea", { id, rows: "2", maxlength: String(column.max_length), "data-column": column.id })));
      }
      body.append(group);
    }
    field.append(body);
    return () => {
      const filled = [];
      for (const group of body.children) {
        const row = {};
        for (const cell of group.querySelectorAll("textarea")) if (cell.value.trim()) row[cell.dataset.column] = cell.value.trim();
        if (!Object.keys(row).length) continue;
        if (group.dataset.row) row.row = group.dataset.row;
        filled.push(row);
      }
      return filled.length ? filled : undefined;
    };
  },
};

// The form's items as fieldsets; `read()` the answers typed, `problems(errors)` shows the API's
// field errors beside their items and says whether any was an item's.
export function paperItems(form, t) {
  const root = h("div", { class: "paper-items" });
  const readers = {};
  form.items.forEach((item, index) => {
    const legendId = nextId("prompt");
    const errorId = nextId("err");
    const field = h("fieldset", { class: "item", "data-item": item.id, "aria-describedby": errorId }, h("legend", { id: legendId, text: `${index + 1}. ${plain(item.prompt)}` }));
    const make = KINDS[item.type];
    if (make) readers[item.id] = make(item, t, field, `${form.id}.${item.id}`, legendId);
    else field.append(h("p", { class: "hint", text: t("not_on_paper") }));
    field.append(h("p", { class: "item-error", id: errorId }));
    root.append(field);
  });
  return {
    element: root,
    read() {
      const answers = {};
      for (const [id, read] of Object.entries(readers)) {
        const value = read();
        if (value !== undefined) answers[id] = value;
      }
      return answers;
    },
    problems(errors) {
      let first = null;
      for (const field of root.querySelectorAll("[data-item]")) {
        const error = errors.find((e) => new RegExp(`^\\$\\.answers\\.${field.dataset.item.replace(/[-.]/g, "\\$&")}(\\b|$)`).test(e.field || ""));
        field.querySelector(".item-error").textContent = error ? error.message : "";
        field.classList.toggle("invalid", !!error);
        if (error && !first) first = field;
      }
      if (first) (first.querySelector("input, textarea, select") || first).focus();
      return !!first;
    },
  };
}
