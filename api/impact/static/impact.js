/* The impact dashboard: reads /api/v1/impact/* with the reader's key and draws the figures as
   inline SVG charts (each with its figures as a table) and tables. No library, no build step.
   Every text from the server is put in the page as text, never as markup. */
"use strict";

(function () {
  const T = JSON.parse(document.getElementById("texts").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  // Colours and dash patterns that stay apart for colour-blind readers and in print.
  const STROKES = [
    ["#0b5394", ""], ["#b35900", "6 3"], ["#1e7b34", "2 3"], ["#6a1b9a", "8 3 2 3"],
    ["#a30000", "4 4"], ["#37474f", "1 2"], ["#00695c", "10 4"], ["#5d4037", "3 6"],
  ];
  const form = document.getElementById("connect");
  const status = document.getElementById("status");
  const problem = document.getElementById("problem");
  const figures = document.getElementById("figures");
  const schoolSelect = document.getElementById("school");
  let key = "";
  let trends = null;
  let beforeAfter = null;

  /* How the page authenticates: the pasted key. A console with sign-in replaces this one
     function (e.g. to send its session's token). */
  function credentials() {
    return { Authorization: "Bearer " + key };
  }

  async function read(path) {
    const response = await fetch(path, { headers: { Accept: "application/json", ...credentials() } });
    if (!response.ok) {
      let detail = response.status + " " + response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (e) { /* not a problem body */ }
      throw new Error(detail);
    }
    return response;
  }

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function fmt(value, digits) {
    if (value === null || value === undefined) return "–";
    return Number(value).toLocaleString(document.documentElement.lang, { maximumFractionDigits: digits === undefined ? 1 : digits });
  }

  function pct(value) {
    return value === null || value === undefined ? "–" : fmt(value * 100, 0) + " %";
  }

  function label(period) {
    const d = new Date(period.start + "T00:00:00Z");
    const options = trends.period === "month"
      ? { month: "short", year: "2-digit", timeZone: "UTC" }
      : { day: "numeric", month: "short", timeZone: "UTC" };
    return d.toLocaleDateString(document.documentElement.lang, options);
  }

  function table(head, rows, caption) {
    const t = el("table");
    if (caption) t.appendChild(el("caption", caption, { class: "visually-hidden" }));
    const thead = el("thead");
    const tr = el("tr");
    head.forEach((h) => tr.appendChild(el("th", h, { scope: "col" })));
    thead.appendChild(tr);
    t.appendChild(thead);
    const body = el("tbody");
    rows.forEach((row) => {
      const r = el("tr");
      row.forEach((cell, i) => r.appendChild(el(i === 0 ? "th" : "td", cell, i === 0 ? { scope: "row" } : {})));
      body.appendChild(r);
    });
    t.appendChild(body);
    return t;
  }

  /* A wide table scrolls in a region of its own (focusable, so a keyboard can scroll it),
     never the page. */
  function scroll(inner, name) {
    const region = el("div", null, { class: "scroll", tabindex: "0", role: "region", "aria-label": name });
    region.appendChild(inner);
    return region;
  }

  /* The selected school's periods, or every school's summed (means weighted by their counts). */
  function series() {
    const chosen = schoolSelect.value;
    const schools = trends.schools.filter((s) => !chosen || s.school_id === chosen);
    return trends.schools.length === 0 ? [] : trends.schools[0].periods.map((p0, i) => {
      const periods = schools.map((s) => s.periods[i]);
      const distribution = Array(11).fill(0);
      let opened = 0, ageSum = 0, roster = 0;
      const completed = {};
      trends.modules.forEach((m) => { completed[m] = 0; });
      periods.forEach((p) => {
        p.feedback.distribution.forEach((n, score) => { distribution[score] += n; });
        opened += p.dialogues.opened;
        if (p.dialogues.mean_age_business_hours !== null) ageSum += p.dialogues.mean_age_business_hours * p.dialogues.opened;
        p.coverage.forEach((c) => { completed[c.module_id] += c.completed; });
      });
      schools.forEach((s) => { roster += s.roster; });
      const answers = distribution.reduce((a, b) => a + b, 0);
      return {
        label: label(p0),
        answers: answers,
        score: answers ? distribution.reduce((a, n, s) => a + n * s, 0) / answers : null,
        distribution: distribution,
        opened: opened,
        age: opened ? ageSum / opened : null,
        coverage: trends.modules.map((m) => (roster ? completed[m] / roster : null)),
      };
    });
  }

  /* A line chart: one or more lines over the periods, y from 0 to `top`. */
  function lineChart(figure, title, points, lines, top, format, head) {
    figure.replaceChildren();
    const id = figure.id;
    figure.appendChild(el("figcaption", title, { id: id + "-title" }));
    const W = 320, H = 180, L = 44, R = 12, TOP = 10, B = 28;
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc` });
    const x = (i) => L + (points.length < 2 ? (W - L - R) / 2 : (i * (W - L - R)) / (points.length - 1));
    const y = (v) => TOP + (H - TOP - B) * (1 - v / top);
    for (let k = 0; k <= 4; k++) {
      const v = (top * k) / 4;
      chart.appendChild(svg("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      chart.appendChild(svg("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end" }, format(v)));
    }
    chart.appendChild(svg("line", { class: "axis", x1: L, x2: W - R, y1: y(0), y2: y(0) }));
    // At most four labels on the axis: they must fit a phone (the table has every one).
    const shown = new Set([0, 1, 2, 3].map((k) => Math.round((k * (points.length - 1)) / 3)));
    points.forEach((p, i) => {
      if (shown.has(i)) {
        // The end labels lean inwards, so they are not cut at the chart's edges.
        const anchor = points.length < 2 ? "middle" : i === 0 ? "start" : i === points.length - 1 ? "end" : "middle";
        chart.appendChild(svg("text", { x: x(i), y: H - 10, "text-anchor": anchor }, p.label));
      }
    });
    const summaries = [];
    lines.forEach((line, n) => {
      const [colour, dash] = STROKES[n % STROKES.length];
      // A period without a figure lifts the pen: the line does not pretend to know it.
      const path = [];
      let down = false, first = null, last = null;
      points.forEach((p, i) => {
        const v = line.value(p);
        if (v === null || v === undefined) { down = false; return; }
        path.push((down ? "L" : "M") + x(i).toFixed(1) + " " + y(Math.min(v, top)).toFixed(1));
        down = true;
        chart.appendChild(svg("circle", { cx: x(i), cy: y(Math.min(v, top)), r: 2.5, fill: colour }));
        if (first === null) first = [v, p.label];
        last = [v, p.label];
      });
      if (path.length) chart.appendChild(svg("path", { class: "line", d: path.join(" "), stroke: colour, "stroke-dasharray": dash }));
      summaries.push(first === null
        ? T.empty_chart.replace("{name}", line.name)
        : T.chart_summary.replace("{name}", line.name).replace("{first}", format(first[0])).replace("{start}", first[1])
          .replace("{last}", format(last[0])).replace("{end}", last[1]));
    });
    chart.appendChild(svg("desc", { id: `${id}-desc` }, summaries.join(" ")));
    figure.appendChild(chart);
    if (lines.length > 1) {
      const legend = el("ul", null, { class: "legend" });
      lines.forEach((line, n) => {
        const [colour, dash] = STROKES[n % STROKES.length];
        const item = el("li");
        const swatch = svg("svg", { class: "swatch", viewBox: "0 0 24 8", "aria-hidden": "true", focusable: "false" });
        swatch.appendChild(svg("line", { x1: 0, x2: 24, y1: 4, y2: 4, stroke: colour, "stroke-width": 3, "stroke-dasharray": dash }));
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(line.name));
        legend.appendChild(item);
      });
      figure.appendChild(legend);
    }
    const details = el("details");
    details.appendChild(el("summary", T.data_table));
    details.appendChild(scroll(table(head[0], points.map(head[1]), title), title));
    figure.appendChild(details);
  }

  function barChart(figure, title, counts) {
    figure.replaceChildren();
    const id = figure.id;
    figure.appendChild(el("figcaption", title, { id: id + "-title" }));
    const W = 320, H = 180, L = 36, B = 28, TOP = 10;
    const top = Math.max(1, ...counts);
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc` });
    const width = (W - L - 8) / 11;
    chart.appendChild(svg("line", { class: "axis", x1: L, x2: W - 8, y1: H - B, y2: H - B }));
    chart.appendChild(svg("text", { x: L - 4, y: TOP + 4, "text-anchor": "end" }, fmt(top, 0)));
    counts.forEach((n, score) => {
      const h = ((H - TOP - B) * n) / top;
      chart.appendChild(svg("rect", { class: "bar", x: L + score * width + 2, y: H - B - h, width: width - 4, height: h }));
      chart.appendChild(svg("text", { x: L + score * width + width / 2, y: H - 10, "text-anchor": "middle" }, score));
    });
    const total = counts.reduce((a, b) => a + b, 0);
    const text = total ? counts.map((n, s) => `${s}: ${n}`).join(", ") : T.no_data;
    chart.appendChild(svg("desc", { id: `${id}-desc` }, `${T.answers} ${total}. ${text}`));
    figure.appendChild(chart);
    const details = el("details");
    details.appendChild(el("summary", T.data_table));
    details.appendChild(scroll(table([T.score, T.count], counts.map((n, s) => [s, n]), title), title));
    figure.appendChild(details);
  }

  function drawCharts() {
    const points = series();
    lineChart(document.getElementById("score-chart"), T.score_chart, points,
      [{ name: T.mean_score, value: (p) => p.score }], 10, (v) => fmt(v),
      [[T.period_col, T.mean_score, T.answers], (p) => [p.label, fmt(p.score, 2), p.answers]]);
    lineChart(document.getElementById("coverage-chart"), T.coverage_chart, points,
      trends.modules.map((m, i) => ({ name: m, value: (p) => (p.coverage[i] === null ? null : p.coverage[i] * 100) })),
      100, (v) => fmt(v, 0) + " %",
      [[T.period_col, ...trends.modules], (p) => [p.label, ...p.coverage.map(pct)]]);
    const ages = points.map((p) => p.age || 0);
    const ageTop = Math.max(8, Math.ceil(Math.max(...ages, 0) / 8) * 8);
    lineChart(document.getElementById("age-chart"), T.age_chart, points,
      [{ name: T.mean_age, value: (p) => p.age }], ageTop, (v) => fmt(v, 0),
      [[T.period_col, T.mean_age, T.opened], (p) => [p.label, fmt(p.age), p.opened]]);
    const total = Array(11).fill(0);
    points.forEach((p) => p.distribution.forEach((n, s) => { total[s] += n; }));
    barChart(document.getElementById("distribution-chart"), T.distribution_chart, total);
  }

  function drawSchools() {
    const head = [T.school_col, T.answers, T.mean_score, T.opened, T.median_age, T.past_due, T.fcr,
      `${T.shopper}: ${T.phone}`, `${T.shopper}: ${T.email}`, `${T.shopper}: ${T.visit}`, T.roster,
      ...trends.modules.map((m) => `${T.coverage}: ${m}`)];
    const rows = trends.schools.map((s) => {
      const p = s.periods[s.periods.length - 1];
      const d = p.dialogues;
      return [s.name, p.feedback.answers, fmt(p.feedback.mean_score, 2), d.opened, fmt(d.median_age_business_hours),
        d.past_due, pct(d.first_contact_resolution_rate),
        ...p.shoppers.map((v) => (v.visits ? `${fmt(v.mean_score)} % (n=${v.visits})` : "–")),
        s.roster, ...p.coverage.map((c) => pct(c.share))];
    });
    document.getElementById("schools-table").replaceChildren(table(head, rows, T.schools_table));
  }

  function drawBeforeAfter() {
    const head = [T.school_col, T.training_date, "", T.answers, T.mean_score, T.opened, T.median_age, T.past_due, T.fcr];
    const rows = [];
    beforeAfter.schools.forEach((s) => {
      if (!s.training_date) { rows.push([s.name, T.not_yet, "", "", "", "", "", "", ""]); return; }
      [[T.before, s.before], [T.after, s.after]].forEach(([name, f]) => {
        const d = f.dialogues;
        rows.push([s.name, s.training_date, name, f.feedback.answers, fmt(f.feedback.mean_score, 2), d.opened,
          fmt(d.median_age_business_hours), d.past_due, pct(d.first_contact_resolution_rate)]);
      });
    });
    document.getElementById("before-after-table").replaceChildren(table(head, rows, T.before_after));
  }

  async function download(path, name) {
    problem.textContent = "";
    try {
      const blob = await (await read(path)).blob();
      const link = el("a", name, { href: URL.createObjectURL(blob), download: name });
      document.body.appendChild(link);
      link.click();
      link.remove();
    } catch (error) {
      problem.textContent = `${T.failed}: ${error.message}`;
    }
  }

  function query() {
    return "period=" + encodeURIComponent(document.getElementById("period").value);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    key = document.getElementById("key").value.trim();
    problem.textContent = "";
    status.textContent = T.loading;
    try {
      trends = await (await read("/api/v1/impact/trends?" + query())).json();
      beforeAfter = await (await read("/api/v1/impact/before-after")).json();
    } catch (error) {
      status.textContent = "";
      problem.textContent = `${T.failed}: ${error.message}`;
      return;
    }
    const chosen = schoolSelect.value;
    schoolSelect.replaceChildren(el("option", T.all, { value: "" }));
    trends.schools.forEach((s) => schoolSelect.appendChild(el("option", s.name, { value: s.school_id })));
    schoolSelect.value = trends.schools.some((s) => s.school_id === chosen) ? chosen : "";
    drawCharts();
    drawSchools();
    drawBeforeAfter();
    figures.hidden = false;
    status.textContent = "";
  });

  schoolSelect.addEventListener("change", () => { if (trends) drawCharts(); });
  document.getElementById("trends-csv").addEventListener("click", () => download("/api/v1/impact/trends.csv?" + query(), "impact-trends.csv"));
  document.getElementById("before-after-csv").addEventListener("click", () => download("/api/v1/impact/before-after.csv", "impact-before-after.csv"));
})();
