/* openindex comparison report: views, lazy charts, sortable tables, city selector, compare view.
   Data from the page is only ever inserted with textContent or handed to Plotly (never innerHTML). */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var CONFIG = DATA.config;
  var VIEWS = ["overview", "profiles", "compare", "editions", "audit", "robustness", "methodology"];
  var fmt1 = new Intl.NumberFormat(DATA.lang, {minimumFractionDigits: 1, maximumFractionDigits: 1});

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function visible(el) { return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length); }

  /* ---- charts: drawn when their container is first shown ------------------------------ */
  function figure(id) {
    var fig = DATA.figures[id];
    if (id === "compare") { return compareFigure(fig); }
    return fig;
  }
  function renderCharts(root) {
    $$(".chart[data-figure]", root).forEach(function (el) {
      if (el.getAttribute("data-rendered") || !visible(el)) { return; }
      var fig = figure(el.getAttribute("data-figure"));
      if (!fig) { return; }
      el.setAttribute("data-rendered", "1");
      Plotly.newPlot(el, fig.data, fig.layout, CONFIG);
    });
  }

  /* ---- views and routing ---------------------------------------------------------------- */
  var profiles = $$("article.profile");
  var citySelect = $("#city-select");
  var current = profiles.length ? profiles[0].id : "";

  function showProfile(id) {
    var found = false;
    profiles.forEach(function (p) { var on = p.id === id; p.hidden = !on; found = found || on; });
    if (!found && profiles.length) { profiles[0].hidden = false; id = profiles[0].id; }
    current = id;
    if (citySelect) { citySelect.value = id; }
  }
  function showView(view) {
    VIEWS.forEach(function (v) {
      var el = document.getElementById(v);
      if (el) { el.hidden = v !== view; }
    });
    $$(".tabs a[data-view]").forEach(function (a) {
      if (a.getAttribute("data-view") === view) { a.setAttribute("aria-current", "page"); }
      else { a.removeAttribute("aria-current"); }
    });
  }
  function route() {
    var hash = decodeURIComponent((location.hash || "").slice(1));
    var view = "overview";
    if (hash.indexOf("city-") === 0) { view = "profiles"; showProfile(hash); }
    else if (VIEWS.indexOf(hash) >= 0 && document.getElementById(hash)) {
      view = hash;
      if (view === "profiles") { showProfile(current); }
    }
    showView(view);
    if (view === "compare") { updateCompare(); }
    renderCharts(document.getElementById(view));
    if (view === "profiles") {
      var p = document.getElementById(current);
      if (p && hash.indexOf("city-") === 0) { window.scrollTo(0, 0); }
    }
  }
  window.addEventListener("hashchange", route);
  if (citySelect) {
    citySelect.addEventListener("change", function () { location.hash = "#" + citySelect.value; });
  }
  var printButton = $("#print-profile");
  if (printButton) { printButton.addEventListener("click", function () { window.print(); }); }

  /* ---- panel selectors: one panel of a group shown at a time (audit: one node) ------------ */
  $$("select[data-panels]").forEach(function (select) {
    var panels = $$("." + select.getAttribute("data-panels"));
    function show() {
      panels.forEach(function (p) { p.hidden = p.id !== select.value; });
      renderCharts(document.getElementById(select.value));
    }
    select.addEventListener("change", show);
    panels.forEach(function (p) { p.hidden = p.id !== select.value; });  /* a value restored by the browser */
  });

  /* ---- sortable tables -------------------------------------------------------------------- */
  function sortValue(row, index, numeric) {
    var cell = row.cells[index];
    var v = cell ? cell.getAttribute("data-v") : "";
    if (v === null) { v = cell.textContent.trim().toLowerCase(); }
    if (!numeric) { return v; }
    return v === "" ? null : parseFloat(v);
  }
  $$("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    $$("th button[data-sort]", table).forEach(function (button) {
      button.addEventListener("click", function () {
        var th = button.parentNode;
        var index = th.cellIndex;
        var numeric = button.getAttribute("data-sort") === "num";
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        $$("thead th", table).forEach(function (h) { if (h.hasAttribute("aria-sort")) { h.setAttribute("aria-sort", "none"); } });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = sortValue(a, index, numeric), y = sortValue(b, index, numeric);
          if (x === null && y === null) { return 0; }
          if (x === null) { return 1; }     /* missing values last, both ways */
          if (y === null) { return -1; }
          var c = numeric ? x - y : x.localeCompare(y, DATA.lang);
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  /* ---- search in the scores table ------------------------------------------------------ */
  var search = $("#scores-search");
  var count = $("#scores-count");
  if (search) {
    var rows = Array.prototype.slice.call($("#scores-table").tBodies[0].rows);
    var filter = function () {
      var q = search.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (r) {
        var on = !q || r.getAttribute("data-search").indexOf(q) >= 0;
        r.hidden = !on;
        if (on) { shown += 1; }
      });
      count.textContent = q ? shown + " / " + rows.length : "";
    };
    search.addEventListener("input", filter);
  }

  /* ---- compare view ------------------------------------------------------------------------ */
  var C = DATA.compare;
  var picks = $$(".compare-pick");
  function chosen() {
    var out = [];
    picks.forEach(function (s) { if (s.value && out.indexOf(s.value) < 0) { out.push(s.value); } });
    return out;
  }
  function compareFigure(fig) {
    var units = chosen();
    var traces = units.map(function (u, slot) {
      var t = JSON.parse(JSON.stringify(fig.data[C.units.indexOf(u)]));
      t.visible = true;
      t.marker = t.marker || {};
      t.marker.color = DATA.colours[slot % DATA.colours.length];
      return t;
    });
    return {data: traces, layout: fig.layout};
  }
  function cell(tag, text, cls) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (cls) { el.className = cls; }
    return el;
  }
  function updateCompare() {
    var table = $("#compare-table");
    if (!table) { return; }
    var units = chosen();
    var head = table.tHead, body = table.tBodies[0];
    head.replaceChildren();
    body.replaceChildren();
    var tr = document.createElement("tr");
    var first = cell("th", DATA.strings.node);
    first.scope = "col";
    tr.appendChild(first);
    units.forEach(function (u) {
      var th = cell("th", C.names[C.units.indexOf(u)], "num");
      th.scope = "col";
      tr.appendChild(th);
    });
    head.appendChild(tr);
    if (units.length < 2) {
      var row = document.createElement("tr");
      var td = cell("td", DATA.strings.compare_empty);
      td.colSpan = units.length + 1;
      row.appendChild(td);
      body.appendChild(row);
    }
    C.nodes.forEach(function (node, j) {
      var row = document.createElement("tr");
      row.className = "depth-" + node.depth;
      var th = document.createElement("th");
      th.scope = "row";
      th.appendChild(cell("span", node.label, "indent"));
      row.appendChild(th);
      units.forEach(function (u) {
        var i = C.units.indexOf(u);
        var s = C.scores[i][j];
        var text = s === null ? "\u2013" : fmt1.format(s);
        if (C.ranks && C.ranks[i][j] !== null) { text += " (" + C.ranks[i][j] + ")"; }
        row.appendChild(cell("td", text, "num"));
      });
      body.appendChild(row);
    });
    var chart = $("#chart-compare");
    if (chart && chart.getAttribute("data-rendered")) {
      var fig = compareFigure(DATA.figures.compare);
      Plotly.react(chart, fig.data, fig.layout, CONFIG);
    }
  }
  picks.forEach(function (s) { s.addEventListener("change", updateCompare); });

  /* ---- printing: charts sized for the page, restored afterwards ------------------------- */
  var printWidth = 680;
  function forPrint(on) {
    $$(".js-plotly-plot").forEach(function (el) {
      if (!visible(el)) { return; }
      if (on) { Plotly.relayout(el, {width: printWidth}); }
      else { Plotly.relayout(el, {width: null, autosize: true}); }
    });
  }
  window.addEventListener("beforeprint", function () { forPrint(true); });
  window.addEventListener("afterprint", function () { forPrint(false); });
  if (window.matchMedia) {  /* also when printing without the events (e.g. print to PDF by a tool) */
    var printMedia = window.matchMedia("print");
    if (printMedia.addEventListener) {
      printMedia.addEventListener("change", function (e) { forPrint(e.matches); });
    }
  }

  route();
})();
