// Draws a podium run report from the JSON in #data. Text always goes in through textContent.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("data").textContent);
  const SVGNS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, ...kids) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const kid of kids) node.append(kid instanceof Node ? kid : String(kid));
    return node;
  }
  function sv(tag, attrs, text) {
    const node = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function tip(node, text) { node.append(sv("title", {}, text)); return node; }
  function colour(name) { return "var(--" + name + ", #999)"; }
  function pill(name) { return el("span", { class: "pill", style: "background:" + colour(name) }, name); }
  function money(x) { return "$" + (x || 0).toFixed(4); }  // one precision everywhere, as `podium cost`
  function dur(s) {
    if (s === null || s === undefined) return "-";
    if (s < 60) return s.toFixed(1) + " s";
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = Math.floor(s % 60);
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  }
  function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }
  const attempts = DATA.tasks.flatMap((t) => t.attempts.map((a) => Object.assign({ task: t.id }, a)));
  const phases = attempts.flatMap((a) => a.phases.map((p) => Object.assign({ a: a }, p)));

  function summary() {
    const run = DATA.run;
    const states = {};
    for (const t of DATA.tasks) states[t.state] = (states[t.state] || 0) + 1;
    const planning = DATA.coordination.cost;  // the planner's call, as `podium cost` counts it
    const cost = DATA.tasks.reduce((s, t) => s + t.cost, 0) + planning;
    const busy = phases.reduce((s, p) => s + (p.end - p.start), 0);
    const agentTime = phases.filter((p) => p.kind === "agent").reduce((s, p) => s + (p.end - p.start), 0);
    const tokens = DATA.costs.task.reduce((s, r) => s + r.input + r.output, 0);
    const card = (value, label, cls) => el("div", { class: "card " + (cls || "") }, el("b", {}, value), el("span", {}, label));
    const over = run.budget !== null && cost > run.budget;
    const pills = el("div", { class: "legend" });
    for (const [s, n] of Object.entries(states)) pills.append(el("span", {}, pill(s), " " + n));
    const started = new Date(run.created_at * 1000).toLocaleString();
    document.getElementById("summary").append(
      el("h1", {}, "podium run " + run.id + " · " + run.plan),
      el("div", { class: "sub" }, "→ " + run.target + " (from " + run.base + ") · " + run.status + " · started " + started),
      el("div", { class: "cards" },
        card(dur(run.wall), "wall time"),
        card((states.merged || 0) + " / " + DATA.tasks.length, "tasks merged"),
        card(String(attempts.length), "attempts"),
        card(money(cost) + (run.budget !== null ? " of " + money(run.budget) : ""),
          (over ? "total cost: over budget" : "total cost") + (planning ? " (planning " + money(planning) + " included)" : ""), over ? "over" : ""),
        card(tokens.toLocaleString(), "tokens in + out"),
        card(dur(agentTime), "agent time"),
        card((run.wall > 0 ? (busy / run.wall).toFixed(1) : "0") + "×", "busy time / wall time"),
        card(DATA.slots + " / " + run.max_parallel, "slots used / max"),
        card(String(run.gates.length), run.gates.length === 1 ? "gate" : "gates"),
        card(DATA.speculation.tasks + " / " + DATA.speculation.discarded, "started speculatively / attempts thrown away")),
      pills);
  }

  function ticks(span, width) {
    const steps = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];
    const step = steps.find((s) => (span / s) * 70 <= width) || 28800;
    const out = [];
    for (let t = 0; t <= span + 1e-9; t += step) out.push(t);
    return out;
  }

  function timeline() {
    const W = 1200, left = 64, right = 16, rowH = 28, top = 6;
    const rows = Math.max(DATA.slots, 1);
    const span = Math.max(DATA.run.wall, ...phases.map((p) => p.end), 1);
    const H = top + rows * rowH + 26;
    const x = (t) => left + (t / span) * (W - left - right);
    const svg = sv("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "timeline" });
    const axis = sv("g", { class: "axis" });
    for (const t of ticks(span, W - left - right)) {
      axis.append(sv("line", { x1: x(t), x2: x(t), y1: top, y2: top + rows * rowH }));
      axis.append(sv("text", { x: x(t), y: H - 8, "text-anchor": "middle" }, dur(t)));
    }
    for (let r = 0; r < rows; r++) {
      axis.append(sv("text", { x: 4, y: top + r * rowH + rowH / 2 + 4 }, "slot " + (r + 1)));
    }
    svg.append(axis);
    for (const p of phases) {
      const y = top + p.a.slot * rowH + 3;
      const rect = sv("rect", {
        class: "bar " + p.kind, x: x(p.start), y: y, rx: 3, height: rowH - 6,
        width: Math.max(x(p.end) - x(p.start), 1.5), fill: colour(p.a.result),
        "data-task": p.a.task, "data-attempt": p.a.n,
      });
      const when = dur(p.start) + " → " + dur(p.end);
      svg.append(tip(rect, p.a.task + " a" + p.a.n + " · " + p.kind + " · " + when + " · " + p.a.result));
    }
    for (const a of attempts) {
      const ends = a.phases.map((p) => p.end);
      const width = ends.length ? x(Math.max(...ends)) - x(a.start) : 0;
      const label = a.task + " a" + a.n;
      if (width > label.length * 6.5 + 8) {
        svg.append(sv("text", { class: "label", x: x(a.start) + 5, y: top + a.slot * rowH + rowH / 2 + 4 }, label));
      }
    }
    document.getElementById("timeline").append(svg);
    const legend = document.getElementById("timeline-legend");
    for (const r of [...new Set(attempts.map((a) => a.result))]) {
      legend.append(el("span", {}, el("span", { class: "swatch", style: "background:" + colour(r) }), r));
    }
    legend.append(el("span", {}, "solid: agent at work · pale: verifying, then merging · hover a bar for details"));
  }

  // An edge to the next wave is one curve; a longer one runs in the lane above its target's row.
  function edgePath(a, b, lane, gap) {
    const h = gap / 2;
    if (b.x - a.x <= gap + 1) return `M${a.x},${a.y} C${a.x + h},${a.y} ${b.x - h},${b.y} ${b.x},${b.y}`;
    return `M${a.x},${a.y} C${a.x + h},${a.y} ${a.x + h},${lane} ${a.x + gap},${lane} ` +
      `L${b.x - gap},${lane} C${b.x - h},${lane} ${b.x - h},${b.y} ${b.x},${b.y}`;
  }

  function graph() {
    const nodeW = 160, nodeH = 42, gapX = 70, gapY = 16, top = 34, left = 10;
    const waves = Math.max(...DATA.tasks.map((t) => t.wave), 0) + 1;
    const rows = Math.max(...DATA.tasks.map((t) => t.row), 0) + 1;
    const W = left * 2 + waves * nodeW + (waves - 1) * gapX;
    const H = top + rows * (nodeH + gapY) + 4;
    const pos = {};
    for (const t of DATA.tasks) pos[t.id] = { x: left + t.wave * (nodeW + gapX), y: top + t.row * (nodeH + gapY) };
    const svg = sv("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "task graph" });
    svg.style.maxWidth = W + "px";
    const defs = sv("defs");
    const marker = sv("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" });
    marker.append(sv("path", { d: "M0,0 L10,5 L0,10 z", fill: "#9aa3b5" }));
    defs.append(marker);
    svg.append(defs);
    for (let w = 0; w < waves; w++) {
      svg.append(sv("text", { class: "axis", x: left + w * (nodeW + gapX), y: 14, fill: "#6b7385" }, "wave " + (w + 1)));
    }
    for (const t of DATA.tasks) {
      for (const d of t.after) {
        if (!pos[d]) continue;
        const a = { x: pos[d].x + nodeW, y: pos[d].y + nodeH / 2 }, b = { x: pos[t.id].x, y: pos[t.id].y + nodeH / 2 };
        const path = sv("path", { class: "edge", d: edgePath(a, b, pos[t.id].y - gapY / 2, gapX), "marker-end": "url(#arrow)", "data-from": d, "data-to": t.id });
        svg.append(tip(path, d + " → " + t.id));
      }
    }
    for (const t of DATA.tasks) {
      const g = sv("g", { class: "node", "data-task": t.id, transform: `translate(${pos[t.id].x},${pos[t.id].y})` });
      g.append(sv("rect", { width: nodeW, height: nodeH, rx: 7, fill: colour(t.state) }));
      g.append(sv("text", { x: 10, y: 18 }, clip(t.id, 21)));
      const n = t.attempts.length;
      g.append(sv("text", { class: "state", x: 10, y: 33 }, t.state + (n ? " · " + n + (n === 1 ? " attempt" : " attempts") : "")));
      svg.append(tip(g, t.id + ": " + t.goal + "\n" + t.state + (t.reason ? "\n" + t.reason : "")));
    }
    document.getElementById("graph").append(svg);
  }

  function table(head, rows, numeric) {
    const tr = el("tr", {});
    head.forEach((h, i) => tr.append(el("th", numeric.includes(i) ? { class: "num" } : {}, h)));
    const out = el("table", {}, el("thead", {}, tr));
    const body = el("tbody", {});
    for (const row of rows) {
      const r = el("tr", {});
      row.forEach((c, i) => r.append(el("td", numeric.includes(i) ? { class: "num" } : {}, c)));
      body.append(r);
    }
    out.append(body);
    return out;
  }

  function checksOf(t) {
    const out = el("div", {});
    for (const ev of t.checks) {
      out.append(el("div", {}, el("b", {}, "attempt " + ev.attempt + " checks: "), el("span", { class: ev.ok ? "ok" : "bad" }, ev.ok ? "passed" : "failed")));
      out.append(table(["", "check or gate", "detail"], ev.checks.map((c) => [
        el("span", { class: c.ok ? "ok" : "bad" }, c.ok ? "✓" : "✗"), c.name, c.detail ? el("pre", {}, c.detail) : "",
      ]), []));
    }
    for (const m of t.merges) {
      out.append(el("div", {}, el("b", {}, "attempt " + m.attempt + " merge: "), el("span", { class: m.status === "merged" ? "ok" : "bad" }, m.status),
        m.commit ? " " + m.commit.slice(0, 10) : "", m.detail ? el("pre", {}, m.detail) : ""));
    }
    const gates = DATA.run.gates.length ? DATA.run.gates.length + (DATA.run.gates.length === 1 ? " gate" : " gates") : "no gates";
    for (const b of t.batches) {
      out.append(el("div", { class: "batch" }, el("b", {}, "merge queue: "),
        (b.with.length ? "gated together with " + b.with.join(", ") : "gated alone") + " on the combined tree (" + gates + "): ",
        el("span", { class: b.status === "merged" ? "ok" : "bad" }, b.status)));
    }
    if (!t.checks.length && !t.merges.length) out.append(el("div", { class: "muted" }, "never reached verification"));
    return out;
  }

  function tasks() {
    const box = document.getElementById("tasks");
    for (const t of DATA.tasks) {
      const spent = t.attempts.reduce((s, a) => s + a.phases.reduce((q, p) => q + p.end - p.start, 0), 0);
      const d = el("details", { class: "task", "data-task": t.id });
      if (t.state !== "merged") d.open = true;
      d.append(el("summary", {},
        el("span", { class: "id" }, t.id), pill(t.state),
        el("span", { class: "muted" }, t.attempts.length + " att. · " + dur(spent) + " · " + money(t.cost)),
        el("span", { class: "why" }, t.reason || (t.merged_commit ? "merged as " + t.merged_commit.slice(0, 10) : ""))));
      const body = el("div", { class: "body" }, el("div", {}, t.goal),
        el("div", { class: "muted" }, "after: " + (t.after.join(", ") || "-") + " · agent: " + t.agent));
      if (t.attempts.length) {
        body.append(table(["#", "agent", "model", "start", "took", "result", "exit", "tokens in", "out", "cost", "why"],
          t.attempts.map((a) => ["a" + a.n, a.agent, a.model || "-", dur(a.start),
            dur(a.phases.length ? Math.max(...a.phases.map((p) => p.end)) - a.start : null), pill(a.result),
            a.exit_code === null ? "-" : a.exit_code, a.input.toLocaleString(), a.output.toLocaleString(), money(a.cost),
            clip((a.on.length ? "started on " + a.on.map((o) => o.task + " a" + o.attempt).join(", ") + " (about to land). " : "") + (a.reason || ""), 120)]), [7, 8, 9]));
      }
      for (const f of t.failures) body.append(el("pre", { class: "failure", "data-failure": "a" + f.attempt }, f.text));
      for (const s of t.summaries) body.append(el("p", { class: "muted" }, s.text ? "in short: " + s.text : "summary skipped: " + s.skipped));
      if (t.split_from) body.append(el("div", { class: "muted" }, "a sub-task of " + t.split_from + " (split)"));
      body.append(checksOf(t));
      d.append(body);
      box.append(d);
    }
  }

  function costs() {
    const box = document.getElementById("costs");
    const total = DATA.costs.task.reduce((s, r) => s + r.cost, 0);
    for (const [key, title] of [["task", "by task"], ["agent", "by agent"], ["model", "by model"]]) {
      const rows = DATA.costs[key];
      const top = Math.max(...rows.map((r) => r.cost), 1e-9);
      box.append(el("div", { "data-costs": key }, el("h3", {}, title), table([key, "attempts", "tokens in", "out", "cost", el("span", { class: "barcol" })],
        rows.map((r) => [r.name, r.attempts, r.input.toLocaleString(), r.output.toLocaleString(), money(r.cost),
          el("div", { class: "costbar", style: "width:" + Math.round((r.cost / top) * 100) + "%" })]), [1, 2, 3, 4])));
    }
    const c = DATA.coordination;
    if (c.calls) box.append(el("p", { "data-costs": "planning" }, "planning: " + money(c.cost) + " (" + c.calls + (c.calls === 1 ? " call" : " calls") + ", not in the tables above)"));
    if (!total) box.append(el("p", { class: "muted" }, "No attempt reported a cost (agents that print no usage, such as the command agent, cost nothing here)."));
  }

  summary();
  timeline();
  graph();
  tasks();
  costs();
  document.body.setAttribute("data-drawn", "yes");
})();
