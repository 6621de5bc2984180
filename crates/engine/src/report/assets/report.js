// Ward HTML report: renders the JSON island into the page. All text goes
// through textContent and createElement, so report data is never parsed as
// markup.
// State (filters, the open control) lives in the URL fragment:
//   #severity=high,critical&namespace=shop&framework=pss&status=fail&q=text&control=id
(function () {
  "use strict";
  var island = document.getElementById("ward-data");
  var app = document.getElementById("app");
  var D;
  try { D = JSON.parse(island.textContent); } catch (e) {
    app.textContent = "This report's data could not be read: " + e;
    return;
  }
  var SEVS = ["critical", "high", "medium", "low", "info"];
  var COLORS = { critical: "var(--crit)", high: "var(--high)", medium: "var(--med)", low: "var(--low)", info: "var(--info)" };
  var STATUS = { pass: ["✓", "passes"], fail: ["✗", "fails"], error: ["!", "error"], none: ["–", "not applicable"] };

  // h("div", {class: "x"}, "text", child, [children]) builds an element.
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") el.textContent = v;
        else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
        else if (k === "style") el.setAttribute("style", v);
        else el.setAttribute(k, v === true ? "" : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { add(el, x); }); return; }
    el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  // Text with `code` spans, as control metadata writes them.
  function rich(text) {
    return String(text).split("`").map(function (part, i) {
      return i % 2 ? h("code", { text: part }) : part;
    });
  }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function pct(p, a) { return a > 0 ? Math.floor(p * 100 / a) + "%" : "n/a"; }
  function safeUrl(u) { return /^https?:\/\//i.test(u) ? u : null; }
  function sevPill(s) { return h("span", { class: "sev sev-" + s, text: s }); }
  function bar(parts, title) {
    var total = parts.reduce(function (t, p) { return t + p[1]; }, 0);
    var b = h("div", { class: "bar", title: title || null, role: "img", "aria-label": title || null });
    if (total === 0) return b;
    parts.forEach(function (p) {
      if (p[1] > 0) b.appendChild(h("span", { class: p[0], style: "width:" + (p[1] * 100 / total) + "%" }));
    });
    return b;
  }

  // ---- state in the URL fragment ----
  function readState() {
    var s = { severity: [], namespace: "", framework: "", status: "", q: "", control: "" };
    var frag = location.hash.replace(/^#/, "");
    frag.split("&").forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf("=");
      var k = decodeURIComponent(i < 0 ? kv : kv.slice(0, i));
      var v = i < 0 ? "" : decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " "));
      if (k === "severity") s.severity = v.split(",").filter(function (x) { return SEVS.indexOf(x) >= 0; });
      else if (k in s) s[k] = v;
    });
    return s;
  }
  function writeState(s) {
    var parts = [];
    if (s.severity.length) parts.push("severity=" + s.severity.join(","));
    ["namespace", "framework", "status", "q", "control"].forEach(function (k) {
      if (s[k]) parts.push(k + "=" + encodeURIComponent(s[k]));
    });
    var frag = parts.length ? "#" + parts.join("&") : " ";
    if (history.replaceState) history.replaceState(null, "", frag === " " ? location.pathname + location.search : frag);
    else location.hash = frag;
  }
  var state = readState();

  // ---- header ----
  var S = D.summary;
  function header() {
    var packs = D.packs.map(function (p) {
      return p.name + (p.version ? "@" + p.version : "") + (p.profile ? " (profile " + p.profile + ")" : "");
    });
    var sevTotal = SEVS.reduce(function (t, s) { return t + (S.by_severity[s] || 0); }, 0);
    var sevbar = h("div", { class: "sevbar", title: "findings by severity" });
    SEVS.forEach(function (s) {
      var n = S.by_severity[s] || 0;
      if (n > 0) sevbar.appendChild(h("span", { style: "width:" + (n * 100 / sevTotal) + "%;background:" + COLORS[s], title: n + " " + s }));
    });
    var chips = SEVS.map(function (s) {
      return h("span", { class: "chip", "data-severity": s }, h("span", { class: "dot", style: "background:" + COLORS[s] }), h("b", { text: S.by_severity[s] || 0 }), s);
    });
    chips.push(h("span", { class: "chip" }, h("b", { text: S.waived }), "waived"));
    chips.push(h("span", { class: "chip" }, h("b", { text: S.errors }), plural(S.errors, "error").replace(/^\d+ /, "")));
    chips.push(h("span", { class: "chip" }, h("b", { text: S.skipped }), "skipped"));
    var verdict = S.deny > 0 ? "fails" : "passes";
    return h("header", { class: "top" }, h("div", { class: "wrap" },
      h("div", { class: "brand" }, h("h1", null, h("span", { class: "logo", text: "Ward" }), " report"),
        h("span", { class: "ver", text: "Ward " + D.ward })),
      h("p", { class: "headline", id: "headline" },
        h("b", { text: plural(S.findings, "finding") }), " in ", plural(D.run.resources, "resource"), " from ",
        plural(D.run.files, "file"), "; the run ", h("b", { text: verdict }), " (" + plural(S.deny, "deny finding") + ", " + plural(S.warn, "warning") + ")."),
      h("div", { class: "chips" }, chips),
      sevTotal > 0 ? sevbar : null,
      h("p", { class: "note" }, "Packs: ", packs.length ? packs.join(", ") : "none"),
      h("details", { class: "inputs" }, h("summary", { text: "Inputs: " + plural(D.run.inputs.length, "file") }),
        h("ul", null, D.run.inputs.map(function (f) { return h("li", { text: f }); })))));
  }

  // ---- scores ----
  function scoreCard(name, sub, passed, applicable, extra, attrs) {
    var failed = applicable - passed;
    return h("div", Object.assign({ class: "card" }, attrs || {}),
      h("h3", null, h("span", { text: name })),
      sub ? h("div", { class: "sub", text: sub }) : null,
      h("div", { class: "score" }, pct(passed, applicable), " ", h("small", { text: passed + " of " + plural(applicable, "control") + " pass" })),
      bar([["p", passed], ["f", failed]], passed + " passed, " + failed + " failed"),
      extra ? h("div", { class: "sub", text: extra }) : null);
  }
  function scores() {
    var packs = h("div", { class: "cards", id: "pack-scores" }, D.packs.map(function (p) {
      var sub = [p.version ? "version " + p.version : "", p.profile ? "profile " + p.profile : ""].filter(Boolean).join(" · ");
      return scoreCard(p.name, sub, p.passed, p.applicable, p.description, { "data-pack": p.name });
    }));
    var fws = h("div", { class: "cards", id: "framework-scores" }, D.frameworks.map(function (f) {
      var sub = f.name + (f.version ? " " + f.version : "");
      var extra = "maps " + plural(f.controls.length, "control") + "; covers " + f.itemsCovered + " of " + f.itemsTotal + " automatable items";
      return scoreCard(f.title, sub, f.passed, f.applicable, extra, { "data-framework": f.name });
    }));
    return h("section", { id: "scores" },
      h("h2", { text: "Scores by pack" }), D.packs.length ? packs : h("p", { class: "note", text: "No pack ran." }),
      D.frameworks.length ? h("h2", { text: "Scores by framework", style: "margin-top:20px" }) : null,
      D.frameworks.length ? fws : null,
      h("p", { class: "note", id: "score-definition" },
        "Score = controls that pass ÷ controls that are applicable. A control is applicable when it applied to at least one resource ",
        "(or failed with an error on one); it passes when it applied to at least one resource, has no deny finding that is not waived, ",
        "and no error. Warnings do not fail a control. Counts of resources under each control are resources it applied to."));
  }

  // ---- filters ----
  var namespaces = [];
  D.findings.forEach(function (f) { if (f.namespace && namespaces.indexOf(f.namespace) < 0) namespaces.push(f.namespace); });
  namespaces.sort();
  function toolbar() {
    var sevs = h("span", { class: "sevs", role: "group", "aria-label": "severity" }, SEVS.map(function (s) {
      var on = state.severity.indexOf(s) >= 0;
      return h("button", {
        type: "button", class: on ? "on" : "", "data-severity": s, "aria-pressed": on ? "true" : "false",
        style: on ? "background:" + COLORS[s] : null, text: s,
        onclick: function () {
          var i = state.severity.indexOf(s);
          if (i >= 0) state.severity.splice(i, 1); else state.severity.push(s);
          update();
        }
      });
    }));
    function select(key, label, options) {
      var sel = h("select", { id: "filter-" + key, onchange: function () { state[key] = sel.value; update(); } },
        h("option", { value: "", text: "all" }),
        options.map(function (o) { return h("option", { value: o[0], text: o[1], selected: state[key] === o[0] }); }));
      return h("label", null, label, sel);
    }
    var q = h("input", { type: "search", id: "filter-q", placeholder: "control, message, resource…", value: state.q });
    q.addEventListener("input", function () { state.q = q.value; update(); });
    return h("div", { class: "toolbar", id: "toolbar" },
      h("label", null, "Severity", sevs),
      select("namespace", "Namespace", namespaces.map(function (n) { return [n, n]; })),
      select("framework", "Framework", D.frameworks.map(function (f) { return [f.name, f.title]; })),
      select("status", "Status", [["fail", "fails"], ["pass", "passes"], ["error", "error"], ["none", "not applicable"]]),
      h("label", null, "Search", q),
      h("button", { type: "button", class: "reset", text: "Clear filters", onclick: function () {
        state = { severity: [], namespace: "", framework: "", status: "", q: "", control: state.control };
        update();
      } }));
  }

  function findingVisible(f) {
    if (state.severity.length && state.severity.indexOf(f.severity) < 0) return false;
    if (state.namespace && f.namespace !== state.namespace) return false;
    return true;
  }
  function matchesText(c) {
    if (!state.q) return true;
    var q = state.q.toLowerCase();
    var hay = [c.id, c.title, c.pack].concat(c.frameworks);
    c.findings.forEach(function (i) { var f = D.findings[i]; if (f) hay.push(f.message, f.resource, f.file); });
    return hay.join("\n").toLowerCase().indexOf(q) >= 0;
  }
  function controlVisible(c) {
    if (state.severity.length && state.severity.indexOf(c.severity) < 0) return false;
    if (state.status && c.status !== state.status) return false;
    if (state.framework && !c.frameworks.some(function (t) { return t.split("/")[0] === state.framework; })) return false;
    if (state.namespace && !c.findings.some(function (i) { return D.findings[i] && D.findings[i].namespace === state.namespace; })) return false;
    return matchesText(c);
  }

  // ---- controls ----
  var rows = [];
  function controlsSection() {
    var tbody = h("tbody");
    // Failing controls first, then errors, passes and the rest; by severity within.
    var rank = { fail: 0, error: 1, pass: 2, none: 3 };
    var order = D.controls.map(function (c, i) { return i; });
    order.sort(function (a, b) {
      var x = D.controls[a], y = D.controls[b];
      return (rank[x.status] - rank[y.status]) || (SEVS.indexOf(x.severity) - SEVS.indexOf(y.severity)) || (a - b);
    });
    order.forEach(function (i) {
      var c = D.controls[i];
      var st = STATUS[c.status] || STATUS.none;
      var row = h("tr", {
        class: "control", id: "control-" + i, "data-control": c.id, "data-severity": c.severity, "data-status": c.status,
        tabindex: "0", "aria-expanded": "false"
      },
        h("td", null, h("span", { class: "status " + c.status, title: st[1], text: st[0] })),
        h("td", null, h("div", { class: "ctl-title", text: c.title }), h("div", { class: "ctl-id", text: c.id + " · " + c.pack })),
        h("td", null, sevPill(c.severity)),
        h("td", { class: "num", text: c.applied }),
        h("td", { class: "num", text: c.passed }),
        h("td", { class: "num", text: c.failed }),
        h("td", { class: "num", text: c.waived }),
        h("td", { class: "mini" }, bar([["p", c.passed], ["w", c.waived], ["f", c.failed]],
          c.passed + " passed, " + c.waived + " waived, " + c.failed + " failed")),
        h("td", { class: "fw" }, c.frameworks.map(function (t) { return h("span", { class: "tag", text: t }); })));
      var detail = h("tr", { class: "detail", hidden: true }, h("td", { colspan: "9" }));
      function toggle() {
        state.control = state.control === c.id ? "" : c.id;
        update();
      }
      row.addEventListener("click", toggle);
      row.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
      rows.push({ c: c, row: row, detail: detail, rendered: "" });
      tbody.appendChild(row);
      tbody.appendChild(detail);
    });
    var table = h("table", { id: "controls" },
      h("thead", null, h("tr", null, h("th"), h("th", { text: "Control" }), h("th", { text: "Severity" }),
        h("th", { class: "num", text: "Applied" }), h("th", { class: "num", text: "Passed" }),
        h("th", { class: "num", text: "Failed" }), h("th", { class: "num", text: "Waived" }), h("th", { text: "Resources" }),
        h("th", { text: "Frameworks" }))),
      tbody);
    return h("section", null, h("h2", { text: "Controls" }), toolbar(), h("p", { id: "shown" }),
      D.controls.length ? table : h("div", { class: "empty", text: "No control ran." }));
  }

  function renderDetail(r) {
    var c = r.c, td = r.detail.firstChild;
    var key = JSON.stringify([state.severity, state.namespace]);
    if (r.rendered === key) return;
    r.rendered = key;
    td.textContent = "";
    td.appendChild(h("p", { class: "desc" }, rich(c.description)));
    if (c.remedy) td.appendChild(h("div", { class: "remedy" }, h("b", { text: "How to fix: " }), rich(c.remedy)));
    var refs = c.references.map(function (u) { var s = safeUrl(u); return s ? h("a", { href: s, rel: "noopener noreferrer", text: u }) : h("span", { text: u }); });
    if (refs.length) td.appendChild(h("div", { class: "refs" }, "References: ", refs.map(function (a, i) { return [i ? ", " : "", a]; })));
    var groups = [], byKey = {};
    c.findings.forEach(function (i) {
      var f = D.findings[i];
      if (!f || !findingVisible(f)) return;
      var k = f.file + "\u0000" + f.resource;
      if (!byKey[k]) { byKey[k] = { f: f, list: [] }; groups.push(byKey[k]); }
      byKey[k].list.push(f);
    });
    if (!groups.length) {
      td.appendChild(h("p", { class: "note", text: c.findings.length ? "No finding matches the filters." :
        "No findings: the control " + (c.applied ? "passed on all " + plural(c.applied, "resource") + " it applied to." : "applied to no resource.") }));
      return;
    }
    groups.forEach(function (g) {
      td.appendChild(h("div", { class: "resource" },
        h("div", { class: "rhead" }, h("span", { class: "rname", text: g.f.resource }),
          h("span", { class: "rfile", text: g.f.file + (g.f.origin ? " (from " + g.f.origin + ")" : "") })),
        g.list.map(findingBox)));
    });
  }

  function findingBox(f) {
    var badges = [];
    if (f.level === "warn") badges.push(h("span", { class: "badge warn", text: "warning" }));
    if (f.waived) badges.push(h("span", { class: "badge", text: "waived" }));
    return h("div", { class: "finding" + (f.waived ? " waived" : ""), "data-fingerprint": f.fingerprint },
      h("div", { class: "msg" }, sevPill(f.severity), " ", f.message, badges),
      h("div", { class: "where", text: f.file + (f.line ? ":" + f.line + ":" + f.column : "") + "  " + (f.pointer || "/") }),
      f.frame ? frame(f.frame) : null,
      fixBox(f),
      f.waived ? h("div", { class: "waiver" }, "Waived: ", f.waived.reason,
        f.waived.owner ? " · owner " + f.waived.owner : "", f.waived.ticket ? " · ticket " + f.waived.ticket : "",
        f.waived.expires ? " · expires " + f.waived.expires : "", " (" + f.waived.source + ")") : null);
  }

  function frame(fr) {
    var box = h("div", { class: "frame", role: "figure", "aria-label": "source lines" });
    fr.lines.forEach(function (text, i) {
      var n = fr.start + i, tx = h("span", { class: "tx" });
      if (n === fr.line) {
        var chars = Array.from(text), a = Math.max(0, fr.col - 1), b = a + fr.len;
        tx.appendChild(document.createTextNode(chars.slice(0, a).join("")));
        tx.appendChild(h("span", { class: "tok", text: chars.slice(a, b).join("") }));
        tx.appendChild(document.createTextNode(chars.slice(b).join("")));
      } else {
        tx.textContent = text;
      }
      box.appendChild(h("div", { class: "ln" + (n === fr.line ? " hit" : "") }, h("span", { class: "no", text: n }), tx));
    });
    return box;
  }

  function fixBox(f) {
    if (f.diff) {
      var pre = h("pre", { class: "diff" });
      f.diff.split("\n").forEach(function (l, i, all) {
        if (i === all.length - 1 && l === "") return;
        var cls = l.indexOf("@@") === 0 ? "hunk" : (l.indexOf("+++") === 0 || l.indexOf("---") === 0) ? "hunk" :
          l[0] === "+" ? "add" : l[0] === "-" ? "del" : "";
        pre.appendChild(h("span", { class: "ln " + cls, text: l }));
      });
      return h("div", { class: "fixbox" }, h("div", { class: "cap", text: "Fix (checked against the file):" }), pre);
    }
    if (f.fix && f.fix.length) {
      return h("div", { class: "fixbox" }, h("div", { class: "cap", text: "Fix (as patch operations):" }),
        h("pre", { class: "diff" }, f.fix.map(function (op) {
          return h("span", { class: "ln", text: op.op + " " + op.path + (op.value !== undefined ? " = " + JSON.stringify(op.value) : "") });
        })));
    }
    return null;
  }

  // ---- errors and skipped ----
  function problems() {
    var out = [];
    if (D.errors.length) {
      out.push(h("section", { id: "errors" }, h("h2", { text: "Errors (" + D.errors.length + ")" }),
        h("ul", { class: "list" }, D.errors.map(function (e) {
          var at = e.file ? e.file + (e.line ? ":" + e.line + ":" + e.column : "") : (e.policy || "");
          if (e.file && e.policy) at = e.file + " (policy " + e.policy + ":" + e.line + ":" + e.column + ")";
          return h("li", null, h("span", { class: "tag", text: e.kind }), " ", h("span", { class: "mono", text: at }),
            e.control ? [" ", h("span", { class: "ctl-id", text: e.control })] : null, ": ", e.message);
        }))));
    }
    if (D.skipped.length) {
      out.push(h("section", { id: "skipped" }, h("h2", { text: "Skipped (" + D.skipped.length + ")" }),
        h("ul", { class: "list" }, D.skipped.map(function (s) {
          return h("li", null, h("span", { class: "mono", text: s.file + (s.line ? ":" + s.line : "") }), ": ", s.reason);
        }))));
    }
    return out;
  }

  // ---- apply state ----
  function update() {
    writeState(state);
    var shown = 0;
    rows.forEach(function (r) {
      var vis = controlVisible(r.c);
      r.row.hidden = !vis;
      if (vis) shown++;
      var open = vis && state.control === r.c.id;
      r.row.classList.toggle("open", open);
      r.row.setAttribute("aria-expanded", open ? "true" : "false");
      r.detail.hidden = !open;
      if (open) renderDetail(r);
    });
    var el = document.getElementById("shown");
    if (el) el.textContent = "Showing " + shown + " of " + plural(D.controls.length, "control") + ".";
    document.querySelectorAll(".toolbar .sevs button").forEach(function (b) {
      var s = b.getAttribute("data-severity"), on = state.severity.indexOf(s) >= 0;
      b.classList.toggle("on", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.style.background = on ? COLORS[s] : "";
    });
    ["namespace", "framework", "status"].forEach(function (k) {
      var sel = document.getElementById("filter-" + k);
      if (sel && sel.value !== state[k]) sel.value = state[k];
    });
  }

  var wrap = h("div", { class: "wrap" }, scores(), controlsSection(), problems(),
    h("footer", null, "Generated by Ward " + D.ward + ". This page is self-contained: it loads nothing from the network. ",
      "Filters are kept in the address (e.g. #severity=high&namespace=prod), so a link shares a view."));
  app.appendChild(header());
  app.appendChild(wrap);
  window.addEventListener("hashchange", function () { state = readState(); update(); });
  update();
  if (state.control) {
    var open = rows.filter(function (r) { return r.c.id === state.control; })[0];
    // Scroll to it only when it is out of sight.
    if (open && open.row.getBoundingClientRect().top > window.innerHeight - 80) {
      setTimeout(function () { open.row.scrollIntoView({ block: "start" }); }, 0);
    }
  }
})();
