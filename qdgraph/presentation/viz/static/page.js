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
  // how strong each drawn link is (its claim's basis): a line per kind, as drawn
  if (P.links && P.links.length) {
    var lbox = el("section");
    lbox.appendChild(el("h2", null, T.links));
    var lul = el("ul", "qd-legend qd-links");
    P.links.forEach(function (item) {
      var li = el("li"), line = el("span", "qd-line" + (item.dashes ? " dashed" : "") + (item.faint ? " faint" : ""));
      line.style.borderTopWidth = Math.max(1, Math.round(item.width)) + "px";
      li.appendChild(line);
      li.appendChild(el("span", null, item.label));
      li.appendChild(el("span", "qd-count", String(item.count)));
      lul.appendChild(li);
    });
    lbox.appendChild(lul);
    legends.appendChild(lbox);
  }
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

  // ---- labels apart: physics keeps the nodes' shapes apart but not the names drawn beside them.
  // vis-network has no such step, so after the layout settles each pair of overlapping boxes
  // (shape and label, canvas units) is pushed apart along its smaller overlap until none is
  // left; a few hundred nodes take a few ms. Bigger pictures are for their shape, not names.
  // (Boxes are in canvas units, so the result does not depend on the zoom.)
  var SEPARATE_UP_TO = 400, GAP = 6;
  function visibleIds() { return nodes.getIds({ filter: function (n) { return !n.hidden; } }); }
  function boxes(ids) {
    var pos = network.getPositions(ids);
    return ids.map(function (id) {
      var b = network.getBoundingBox(id), p = pos[id];
      return { id: id, x: p.x, y: p.y, l: b.left - p.x, r: b.right - p.x, t: b.top - p.y, b: b.bottom - p.y };
    });
  }
  function separate() {
    var bs = boxes(visibleIds()), moved = 0;
    for (var round = 0; round < 1000; round++) {
      var any = false;
      // sweep: by left edge, so each box is compared only with those starting before it ends
      bs.sort(function (p, q) { return (p.x + p.l) - (q.x + q.l); });
      for (var i = 0; i < bs.length; i++) {
        var a = bs[i];
        for (var j = i + 1; j < bs.length; j++) {
          var b = bs[j];
          if (b.x + b.l >= a.x + a.r + GAP) break;
          var ox = Math.min(a.x + a.r, b.x + b.r) - Math.max(a.x + a.l, b.x + b.l) + GAP;
          if (ox <= 0.5) continue;
          var oy = Math.min(a.y + a.b, b.y + b.b) - Math.max(a.y + a.t, b.y + b.t) + GAP;
          if (oy <= 0.5) continue;
          any = true;
          if (ox < oy) {
            var dx = (a.x + (a.l + a.r) / 2) <= (b.x + (b.l + b.r) / 2) ? -ox / 2 : ox / 2;
            a.x += dx; b.x -= dx;
          } else {
            var dy = (a.y + (a.t + a.b) / 2) <= (b.y + (b.t + b.b) / 2) ? -oy / 2 : oy / 2;
            a.y += dy; b.y -= dy;
          }
        }
      }
      if (!any) break;
      moved++;
    }
    bs.forEach(function (b) { network.moveNode(b.id, b.x, b.y); });
    return moved;
  }

  // every picture opens showing all of itself (a path picture's paths are red within it)
  function fitAll() { network.fit({ animation: false }); }
  document.getElementById("qd-fit").addEventListener("click", function () {
    network.fit({ animation: { duration: 300, easingFunction: "easeInOutQuad" } });
  });

  // Physics settles the layout once, then stops, so the picture holds still for reading; then
  // the names are moved apart and the whole picture framed. vis-network measures a label only
  // when it draws it on screen (and none under 5 px), so the picture is drawn whole at full
  // size first (drawWhole), where every label is measured where its node is.
  var settling = false;
  function settled() {
    if (settling || window.qdgraphStabilized) return;
    settling = true;
    network.setOptions({ physics: false });
    var n = visibleIds().length;
    if (n > 1 && n <= SEPARATE_UP_TO) {
      var whole = drawWhole(1);
      window.qdgraphSeparationRounds = separate();
      whole.restore();
    }
    fitAll();
    window.qdgraphStabilized = true;
    window.qdgraphStabilizedAt = performance.now();   // ms since navigation (bench_viz.py reads it)
    status.textContent = "";
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

  // ---- details panel, and each node's page: /id/NAME on the site that serves this picture,
  // else the entity's IRI (its w3id address); never a link from any other kind of IRI
  var details = document.getElementById("qd-details");
  var openLink = document.getElementById("qd-open");
  var served = /^https?:$/.test(location.protocol);
  function pageOf(n) {
    var iri = String(n.iri || "");
    if (served && iri.indexOf(P.idBase) === 0) return "/id/" + iri.slice(P.idBase.length);
    return /^https?:\/\//.test(iri) && !n.members ? iri : null;
  }
  function showNode(n) {
    details.textContent = n.title;
    var url = pageOf(n);
    openLink.hidden = !url;
    if (url) {
      openLink.href = url;
      if (served) openLink.removeAttribute("target"); else { openLink.target = "_blank"; openLink.rel = "noopener"; }
    } else {
      openLink.removeAttribute("href");
    }
  }
  network.on("click", function (params) {
    if (params.nodes.length) {
      showNode(byId[params.nodes[0]]);
    } else if (params.edges.length) {
      details.textContent = data.edges[params.edges[0]].title;
      openLink.hidden = true;
    }
  });
  network.on("doubleClick", function (params) {
    var url = params.nodes.length ? pageOf(byId[params.nodes[0]]) : null;
    if (!url) return;
    if (served) location.assign(url); else window.open(url, "_blank", "noopener");
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
    showNode(n);
  });

  // ---- the whole picture at once: the canvas is sized to hold every visible node at up to
  // ``maxScale`` (at most MAX_PNG px a side) and drawn; restore() puts the view back as it was.
  // The PNG button saves this, not only what is on screen.
  var MAX_PNG = 6000;
  function drawWhole(maxScale) {
    var ids = visibleIds();
    var view = { position: network.getViewPosition(), scale: network.getScale() };
    var l = Infinity, r = -Infinity, t = Infinity, b = -Infinity;
    ids.forEach(function (id) {
      var bb = network.getBoundingBox(id);
      l = Math.min(l, bb.left); r = Math.max(r, bb.right); t = Math.min(t, bb.top); b = Math.max(b, bb.bottom);
    });
    if (!ids.length) { l = t = -100; r = b = 100; }
    var margin = 40, side = MAX_PNG / (window.devicePixelRatio || 1) - 2 * margin;
    var scale = Math.min(maxScale, side / Math.max(r - l, 1), side / Math.max(b - t, 1));
    network.setSize(Math.ceil((r - l) * scale + 2 * margin) + "px", Math.ceil((b - t) * scale + 2 * margin) + "px");
    network.moveTo({ position: { x: (l + r) / 2, y: (t + b) / 2 }, scale: scale, animation: false });
    network.redraw();
    return {
      scale: scale,
      canvas: container.querySelector("canvas"),
      restore: function () {
        network.setSize("100%", "100%");
        network.moveTo({ position: view.position, scale: view.scale, animation: false });
        network.redraw();
      }
    };
  }
  function wholePicture() {
    var whole = drawWhole(1.5), canvas = whole.canvas;
    var out = document.createElement("canvas");
    out.width = canvas.width;
    out.height = canvas.height;
    var ctx = out.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(canvas, 0, 0);
    whole.restore();
    return out;
  }
  // for tests and the curious: each shown node's label box as vis-network measured it (canvas units)
  window.qdgraphLabelBoxes = function () {
    var whole = drawWhole(1);
    var out = visibleIds().map(function (id) {
      var s = network.body.nodes[id].labelModule.size;
      return { id: id, label: byId[id].label, left: s.left, top: s.top, width: s.width, height: s.height };
    });
    whole.restore();
    return out;
  };
  document.getElementById("qd-png").addEventListener("click", function () {
    var a = el("a");
    a.download = P.png;
    a.href = wholePicture().toDataURL("image/png");
    document.body.appendChild(a);
    a.click();
    a.remove();
  });
})();
