// Offline filters and sorting; no network, no library.
(function () {
  "use strict";
  function applyFilters(form) {
    var table = document.getElementById(form.getAttribute("data-table"));
    if (!table) { return; }
    var selects = form.querySelectorAll("select[data-key]");
    var text = form.querySelector("input[type=search]");
    var needle = text ? text.value.trim().toLowerCase() : "";
    var shown = 0;
    table.querySelectorAll("tbody tr[data-row]").forEach(function (row) {
      var ok = true;
      selects.forEach(function (select) {
        var want = select.value;
        if (!want) { return; }
        var key = select.getAttribute("data-key");
        var list = row.getAttribute("data-" + key + "-list");
        var values = list !== null ? JSON.parse(list) : [row.getAttribute("data-" + key)];
        if (values.indexOf(want) === -1) { ok = false; }
      });
      if (ok && needle && row.textContent.toLowerCase().indexOf(needle) === -1) { ok = false; }
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    var counter = document.getElementById(form.getAttribute("data-counter"));
    if (counter) { counter.textContent = String(shown); }
  }
  document.querySelectorAll("form.filters").forEach(function (form) {
    form.addEventListener("input", function () { applyFilters(form); });
    form.addEventListener("change", function () { applyFilters(form); });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(function () { applyFilters(form); }, 0); });
  });
  document.querySelectorAll("th.sortable").forEach(function (th) {
    th.addEventListener("click", function () {
      var table = th.closest("table");
      var body = table.tBodies[0];
      var index = Array.prototype.indexOf.call(th.parentNode.children, th);
      var descending = th.getAttribute("aria-sort") !== "descending";
      table.querySelectorAll("th.sortable").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[index].getAttribute("data-sort") || a.cells[index].textContent;
        var y = b.cells[index].getAttribute("data-sort") || b.cells[index].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var cmp = (!isNaN(nx) && !isNaN(ny) && String(nx) === x.trim() && String(ny) === y.trim())
          ? nx - ny : x.localeCompare(y);
        return descending ? -cmp : cmp;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  // Earlier configurations: the current document with each newer version's patch undone.
  function applyPatch(doc, ops) {
    ops.forEach(function (op) {
      var path = op[1];
      if (path.length === 0) { doc = op[0] === "s" ? JSON.parse(JSON.stringify(op[2])) : null; return; }
      var node = doc;
      for (var i = 0; i < path.length - 1; i += 1) { node = node[path[i]]; }
      var last = path[path.length - 1];
      if (op[0] === "s") { node[last] = JSON.parse(JSON.stringify(op[2])); } else { delete node[last]; }
    });
    return doc;
  }
  function sortKeys(value) {
    if (Array.isArray(value)) { return value.map(sortKeys); }
    if (value === null || typeof value !== "object") { return value; }
    var sorted = {};
    Object.keys(value).sort().forEach(function (key) { sorted[key] = sortKeys(value[key]); });
    return sorted;
  }
  var versionData = document.getElementById("flow-versions");
  var versionSelect = document.getElementById("version-select");
  var currentConfig = document.querySelector("#current-config pre.value");
  if (versionData && versionSelect && currentConfig) {
    var versions = JSON.parse(versionData.textContent).versions;
    var output = document.getElementById("version-config");
    versionSelect.disabled = false;
    versionSelect.addEventListener("change", function () {
      var wanted = parseInt(versionSelect.value, 10);
      var doc = JSON.parse(currentConfig.textContent);
      versions.forEach(function (v) { if (v.number > wanted) { doc = applyPatch(doc, v.back); } });
      output.textContent = JSON.stringify(sortKeys(doc), null, 2);
      output.hidden = wanted === versions[0].number;
    });
  }
})();
