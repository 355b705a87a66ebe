/* qdgraph picture page: draws the nodes, edges and options pyvis put in the data block, with
   legends (type filters), search, a details panel and a PNG download. Every piece of graph
   text reaches the DOM through textContent (or as an element built that way), never as HTML. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("qdgraph-data").textContent);
  var P = data.page, T = P.text;
  var byId = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // vis-network shows an element as it is; a string title would be its business to escape
  function withTip(item) {
    var v = Object.assign({}, item);
    v.title = el("div", null, item.title);
    return v;
  }

  document.getElementById("qd-counts").textContent =
    "· " + data.nodes.length + " " + T.nodes + " · " + data.edges.length + " " + T.edges;
  if (P.notice) {
    var notice = document.getElementById("qd-notice");
    notice.textContent = P.notice;
    notice.hidden = false;
  }

  // ---- legends; each row's box shows or hides the nodes with that type (or community)
  var off = {};   // key -> {value: true} for unticked rows
  var legends = document.getElementById("qd-legends");
  P.legends.forEach(function (section) {
    off[section.key] = {};
    var box = el("section");
    box.appendChild(el("h2", null, section.title));
    var ul = el("ul", "qd-legend");
    ul.dataset.key = section.key;
    section.items.forEach(function (item) {
      var li = el("li"), label = el("label"), check = el("input");
      check.type = "checkbox";
      check.checked = true;
      check.dataset.key = section.key;
      check.dataset.value = String(item.id);
      check.addEventListener("change", function () { setVisible(section.key, item.id, check.checked); });
      var sw = el("span", "qd-swatch " + item.shape);
      sw.style.background = item.color;
      label.appendChild(check);
      label.appendChild(sw);
      label.appendChild(el("span", null, item.label));
      label.appendChild(el("span", "qd-count", String(item.count)));
      li.appendChild(label);
      ul.appendChild(li);
    });
    box.appendChild(ul);
    legends.appendChild(box);
  });
  P.notes.forEach(function (text) { legends.appendChild(el("p", "qd-note", text)); });

  // ---- network
  var nodes = new vis.DataSet(data.nodes.map(withTip));
  var edges = new vis.DataSet(data.edges.map(function (e) {
    // pyvis marks every edge of a directed Network with arrows "to"; the options say so once,
    // and per-edge options slow the layout of a big page
    var v = withTip(e);
    delete v.arrows;
    return v;
  }));
  var options = data.options;
  options.nodes.font.face = getComputedStyle(document.body).fontFamily;
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
    // a path picture frames the paths; a big neighbourhood starts at its centre
    var onPath = data.nodes.filter(function (n) { return n.onPath; }).map(function (n) { return n.id; });
    var focus = data.nodes.filter(function (n) { return n.focus; })[0];
    if (onPath.length) network.fit({ nodes: onPath });
    else if (focus && data.nodes.length > 40) network.focus(focus.id, { scale: 1.0 });
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
      details.textContent = byId[params.nodes[0]].title;
    } else if (params.edges.length) {
      details.textContent = data.edges[params.edges[0]].title;
    }
  });

  // ---- filters: a node is shown while every legend row it belongs to is ticked
  function setVisible(key, value, visible) {
    if (visible) delete off[key][value]; else off[key][value] = true;
    nodes.update(data.nodes.map(function (n) {
      var hide = Object.keys(off).some(function (k) { return off[k][n[k]]; });
      return { id: n.id, hidden: hide };
    }));
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
    Object.keys(off).forEach(function (k) {
      if (!off[k][n[k]]) return;
      legends.querySelector('input[data-key="' + CSS.escape(k) + '"][data-value="' + CSS.escape(String(n[k])) + '"]')
        .checked = true;
      setVisible(k, n[k], true);
    });
    searchStatus.textContent = (pos + 1) + "/" + matches.length;
    network.selectNodes([n.id]);
    network.focus(n.id, { scale: 1.3, animation: { duration: 400, easingFunction: "easeInOutQuad" } });
    details.textContent = n.title;
  });

  // ---- download PNG: the canvas as it is now, on white, made here (no network)
  document.getElementById("qd-png").addEventListener("click", function () {
    var canvas = container.querySelector("canvas");
    var out = document.createElement("canvas");
    out.width = canvas.width;
    out.height = canvas.height;
    var ctx = out.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(canvas, 0, 0);
    var a = el("a");
    a.download = P.png;
    a.href = out.toDataURL("image/png");
    document.body.appendChild(a);
    a.click();
    a.remove();
  });
})();
