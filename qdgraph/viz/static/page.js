/* qdgraph picture page: draws the graph embedded as JSON, with legend, type filter, search
   and a details panel. Every piece of graph text reaches the DOM through textContent (or as
   an element built that way), never as HTML. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("qdgraph-data").textContent);
  var T = data.text;
  var byId = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; });

  function textBlock(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  document.getElementById("qd-counts").textContent =
    "· " + data.nodes.length + " " + T.nodes + " · " + data.edges.length + " " + T.edges;
  if (data.notice) {
    var notice = document.getElementById("qd-notice");
    notice.textContent = data.notice;
    notice.hidden = false;
  }

  // ---- legend and type filter
  var groups = {};
  var legend = document.getElementById("qd-legend");
  data.types.forEach(function (t) {
    var inside = data.labelInside.indexOf(t.shape) >= 0;
    groups[t.id] = {
      shape: t.shape,
      color: { background: t.color, border: "#444444", highlight: { background: t.color, border: "#000000" } },
      font: inside ? { color: "#111111" } : { color: "#222222" }
    };
    var li = el("li");
    var label = el("label");
    var box = el("input");
    box.type = "checkbox";
    box.checked = true;
    box.dataset.type = t.id;
    box.addEventListener("change", function () { setTypeVisible(t.id, box.checked); });
    var sw = el("span", "qd-swatch " + t.shape);
    sw.style.background = t.color;
    label.appendChild(box);
    label.appendChild(sw);
    label.appendChild(el("span", null, t.label));
    label.appendChild(el("span", "qd-count", String(t.count)));
    li.appendChild(label);
    legend.appendChild(li);
  });

  // ---- network
  var nodes = new vis.DataSet(data.nodes.map(function (n) {
    var v = { id: n.id, label: n.label, group: n.type, title: textBlock(n.tip) };
    if (n.level !== undefined) v.level = n.level;
    if (n.focus) { v.borderWidth = 4; v.size = 22; v.font = { size: 16, bold: true }; }
    // a group node stands for many leaves ("另有 8,950 个企业"): bigger, dashed border
    if (n.group) { v.borderWidth = 2; v.size = 26; v.shapeProperties = { borderDashes: [5, 4] }; v.font = { size: 15 }; }
    return v;
  }));
  var edges = new vis.DataSet(data.edges.map(function (e, i) {
    var v = { id: i, from: e.from, to: e.to, title: textBlock(e.tip), dashes: !!e.dashes };
    if (data.edgeLabels) v.label = e.label;
    return v;
  }));
  // Past 500 nodes: straight edges, no hover, fewer layout iterations, so a 1,000-node page
  // settles within ~3 s on a modest machine (bench/bench_viz.py measures it).
  var big = data.nodes.length > 500;
  var hierarchical = data.layout === "hierarchical";
  var options = {
    groups: groups,
    nodes: {
      font: { face: getComputedStyle(document.body).fontFamily, size: 14 },
      widthConstraint: { maximum: 170 },
      size: 14, borderWidth: 1
    },
    edges: {
      arrows: { to: { enabled: true, scaleFactor: 0.5 } },
      color: { color: "#9a9a9a", highlight: "#333333", hover: "#333333" },
      font: { size: 11, color: "#666666", strokeWidth: 3, align: "horizontal" },
      smooth: big ? false : { type: "dynamic" },
      width: 1
    },
    interaction: { hover: !big, tooltipDelay: 150, hideEdgesOnDrag: big, navigationButtons: false },
    layout: hierarchical
      ? { hierarchical: { direction: "UD", sortMethod: "directed", levelSeparation: 130, nodeSpacing: 150 } }
      : { improvedLayout: data.nodes.length <= 150, randomSeed: 7 },
    physics: hierarchical
      ? { solver: "hierarchicalRepulsion", hierarchicalRepulsion: { nodeDistance: 150 },
          stabilization: { iterations: 300, updateInterval: 25 } }
      : { solver: "barnesHut",
          barnesHut: { gravitationalConstant: -6000, springLength: 140, springConstant: 0.04, avoidOverlap: big ? 0 : 0.2 },
          minVelocity: 1.5,
          stabilization: { iterations: big ? 80 : 400, updateInterval: 25, fit: true } }
  };
  var container = document.getElementById("qd-network");
  var status = document.getElementById("qd-status");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, options);
  window.network = network;          // for tests and the curious (devtools)
  window.qdgraphStabilized = false;

  // Physics settles the layout once, then stops, so the picture holds still for reading.
  function settled() {
    if (window.qdgraphStabilized) return;
    network.setOptions({ physics: false });
    window.qdgraphStabilized = true;
    window.qdgraphStabilizedAt = performance.now();   // ms since navigation (bench_viz.py reads it)
    status.textContent = "";
    var focus = data.nodes.filter(function (n) { return n.focus; })[0];
    if (focus && data.nodes.length > 40) network.focus(focus.id, { scale: 1.0 });
  }
  if (data.nodes.length === 0) {
    status.textContent = T.empty;
    window.qdgraphStabilized = true;
  } else {
    status.textContent = T.settling;
    network.on("stabilizationProgress", function (p) {
      status.textContent = T.settling + " " + Math.round(100 * p.iterations / p.total) + "%";
    });
    network.once("stabilizationIterationsDone", settled);
    network.once("stabilized", settled);
  }

  // ---- details panel
  var details = document.getElementById("qd-details");
  network.on("click", function (params) {
    if (params.nodes.length) {
      details.textContent = byId[params.nodes[0]].tip;
    } else if (params.edges.length) {
      details.textContent = data.edges[params.edges[0]].tip;
    }
  });

  // ---- type filter
  function setTypeVisible(type, visible) {
    var changes = [];
    data.nodes.forEach(function (n) { if (n.type === type) changes.push({ id: n.id, hidden: !visible }); });
    nodes.update(changes);
  }

  // ---- search: Enter (or the button) focuses the next node whose names contain the text
  var input = document.getElementById("qd-search-input");
  var searchStatus = document.getElementById("qd-search-status");
  var lastQuery = null, matches = [], pos = -1;
  function norm(s) { return String(s).toLowerCase().replace(/\s+/g, ""); }
  document.getElementById("qd-search").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = norm(input.value);
    if (!q) return;
    if (q !== lastQuery) {
      lastQuery = q;
      matches = data.nodes.filter(function (n) { return norm(n.find).indexOf(q) >= 0; });
      pos = -1;
    }
    if (!matches.length) { searchStatus.textContent = T.no_match; return; }
    pos = (pos + 1) % matches.length;
    var n = matches[pos];
    var box = legend.querySelector('input[data-type="' + CSS.escape(n.type) + '"]');
    if (box && !box.checked) { box.checked = true; setTypeVisible(n.type, true); }
    searchStatus.textContent = (pos + 1) + "/" + matches.length;
    network.selectNodes([n.id]);
    network.focus(n.id, { scale: 1.3, animation: { duration: 400, easingFunction: "easeInOutQuad" } });
    details.textContent = n.tip;
  });
})();
