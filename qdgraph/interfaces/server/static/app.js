// The query page. Every piece of text from the graph or the user is put into the page with
// textContent or as an attribute value set through the DOM, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let PREFIXES = {};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "onclick") node.addEventListener("click", v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function shorten(iri) {
  for (const [p, ns] of Object.entries(PREFIXES)) {
    if (iri.startsWith(ns) && /^[\w.-]+$/.test(iri.slice(ns.length))) return p + ":" + iri.slice(ns.length);
  }
  return "<" + iri + ">";
}

// ------------------------------------------------------------------ named queries
async function loadQueries() {
  const list = $("queries");
  try {
    const data = await (await fetch("/api/queries")).json();
    PREFIXES = data.prefixes;
    // one link per format the server writes (from its format registry)
    $("downloads").append(...data.formats.flatMap((f) =>
      [" ", el("a", { class: "dl", href: "#", "data-format": f.name, title: f.kinds.join(", "), onclick: download }, f.label)]));
    list.replaceChildren(...data.queries.map((q) =>
      el("li", { title: q.name, onclick: () => useQuery(q) }, q.title, el("small", {}, q.description || q.name))));
  } catch (err) {
    list.replaceChildren(el("li", { class: "error" }, "cannot load the named queries: " + err));
  }
}

function useQuery(q) {
  $("query").value = q.text.split("\n").filter((l) => !/^#\s*(title|description|param):/.test(l)).join("\n").trim();
  $("params").replaceChildren(...q.params.map((p) =>
    el("div", { class: "param" }, el("label", { for: "param-" + p.name }, "?" + p.name + " (" + p.kind + ")"),
       el("input", { id: "param-" + p.name, "data-name": p.name, placeholder: p.help || "qdr:… / \"text\"@zh" }))));
  $("query").focus();
}

function formData(extra) {
  const body = new URLSearchParams();
  body.set("query", $("query").value);
  for (const input of $("params").querySelectorAll("input")) {
    if (input.value.trim()) body.append("param", input.dataset.name + "=" + input.value.trim());
  }
  for (const [k, v] of Object.entries(extra || {})) body.set(k, v);
  return body;
}

// ------------------------------------------------------------------ running a query
async function run(event) {
  if (event) event.preventDefault();
  const status = $("status"), result = $("result");
  status.className = "muted";
  status.textContent = "运行中… running…";
  const started = performance.now();
  let resp;
  try {
    resp = await fetch("/sparql", {
      method: "POST", body: formData(),
      headers: { Accept: "application/sparql-results+json, text/turtle;q=0.9" },
    });
  } catch (err) {
    status.className = "error";
    status.textContent = "cannot reach the server: " + err;
    return;
  }
  const ms = Math.round(performance.now() - started);
  const text = await resp.text();
  if (!resp.ok) {
    status.className = "error";
    status.textContent = resp.status + " " + text;
    result.replaceChildren();
    return;
  }
  const truncated = resp.headers.get("X-Qdgraph-Truncated");
  if ((resp.headers.get("Content-Type") || "").startsWith("text/turtle")) {
    status.textContent = ms + " ms";
    result.replaceChildren(el("pre", {}, text));
    return;
  }
  const data = JSON.parse(text);
  if ("boolean" in data) {
    status.textContent = ms + " ms";
    result.replaceChildren(el("p", {}, "ASK → " + data.boolean));
    return;
  }
  const rows = data.results.bindings;
  status.textContent = rows.length + " 行 rows · " + ms + " ms" +
    (truncated ? " · 已截断 truncated (" + truncated + ")" : "");
  result.replaceChildren(table(data.head.vars, rows));
}

function cell(term) {
  if (!term) return "";
  if (term.type === "uri") {
    return el("a", { href: "#", title: term.value, onclick: (e) => { e.preventDefault(); showCard(term.value); } },
              shorten(term.value));
  }
  if (term.type === "bnode") return "_:" + term.value;
  const span = el("span", {}, term.value);
  if (term["xml:lang"]) span.append(el("span", { class: "lang" }, "@" + term["xml:lang"]));
  else if (term.datatype) span.append(el("span", { class: "dt" }, shorten(term.datatype)));
  return span;
}

function table(vars, rows) {
  return el("table", {},
    el("thead", {}, el("tr", {}, ...vars.map((v) => el("th", {}, "?" + v)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...vars.map((v) => el("td", {}, cell(r[v])))))));
}

function download(event) {
  const link = event.currentTarget;
  const params = formData({ format: link.dataset.format });
  link.href = "/sparql?" + params.toString();  // a GET the browser saves or shows
}

// ------------------------------------------------------------------ lookups
async function search(event) {
  event.preventDefault();
  const q = $("search").value.trim();
  if (!q) return;
  const data = await (await fetch("/api/search?" + new URLSearchParams({ q, limit: 15 }))).json();
  const hits = data.results || [];
  $("hits").replaceChildren(...(hits.length ? hits.map((h) =>
    el("li", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); showCard(h.iri); } },
                    h.zh || h.en || shorten(h.iri)),
       " ", el("small", { class: "muted" }, [h.en && h.zh ? h.en : "", h.types.join(", ")].filter(Boolean).join(" · "))))
    : [el("li", { class: "muted" }, data.error || "没有匹配 no match")]));
}

async function showCard(iri) {
  const box = $("card");
  const resp = await fetch("/api/entity?" + new URLSearchParams({ name: iri }));
  const card = await resp.json();
  if (!resp.ok) { box.replaceChildren(el("p", { class: "error" }, card.error)); return; }
  const title = (card.labels.zh || card.labels.en || [shorten(card.iri)])[0];
  const dl = el("dl", {});
  const add = (term, ...items) => { dl.append(el("dt", {}, term)); for (const i of items) dl.append(el("dd", {}, i)); };
  add("类型 type", ...card.types.map((t) => t.zh || t.en || shorten(t.iri)));
  for (const [p, vals] of Object.entries(card.facts)) add(p, ...vals);
  for (const [group, arrow] of [[card.out, "→ "], [card.into, "← "]]) {
    for (const [p, items] of Object.entries(group)) {
      add(arrow + p, ...items.map((it) => el("a", { href: "#", onclick: (e) => { e.preventDefault(); showCard(it.iri); } },
                                             it.zh || it.en || shorten(it.iri))));
    }
  }
  add("来源 source", ...card.provenance.map((p) => "“" + p.exact + "”"));
  box.replaceChildren(el("h3", {}, title), el("p", { class: "muted" }, card.iri), dl);
  $("viz-name").value = title;
}

function openViz(event) {
  event.preventDefault();
  const name = $("viz-name").value.trim();
  const kind = $("viz-kind").value;
  if (!name && kind !== "all") return;
  const params = new URLSearchParams(name && kind !== "all" ? { name } : {});
  window.open("/viz/" + encodeURIComponent(kind) + "?" + params, "_blank", "noopener");
}

document.addEventListener("DOMContentLoaded", () => {
  $("query-form").addEventListener("submit", run);
  $("query").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(e); });
  $("search-form").addEventListener("submit", search);
  $("viz-form").addEventListener("submit", openViz);
  loadQueries();
});
