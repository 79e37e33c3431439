// Offline filters and sorting; no network, no library.
(function () {
  "use strict";
  // Change-history tables: each row drawn from the data block the table names
  // (flowaudit.report.change_table), before the filters and sorting below look for rows.
  var FOLD_CHARS = 160, FOLD_LINES = 6, MAX_VALUE_CHARS = 200000;
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function cell(row, child, cls) {
    var td = el("td", cls);
    if (typeof child === "string") { td.textContent = child; } else if (child) { td.appendChild(child); }
    row.appendChild(td);
    return td;
  }
  function valueText(value) {
    var text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
    if (text.length > MAX_VALUE_CHARS) {
      text = text.slice(0, MAX_VALUE_CHARS) + "\u2026 " + (text.length - MAX_VALUE_CHARS) + " more characters";
    }
    return text;
  }
  function firstLine(text) {
    var line = text.trim() ? text.trim().split("\n")[0] : "";
    return line.length <= 80 ? line : line.slice(0, 79) + "\u2026";
  }
  function shownValue(present, value) {
    if (!present) { return el("span", "absent", "(absent)"); }
    var text = valueText(value);
    var pre = el("pre", "value", text);
    if (text.length <= FOLD_CHARS && text.split("\n").length - 1 < FOLD_LINES) { return pre; }
    var details = el("details");
    details.appendChild(el("summary", null, firstLine(text)));
    details.appendChild(pre);
    return details;
  }
  // A data block: JSON, or JSON deflated and base64-encoded when large
  // (flowaudit.report.data_blocks), inflated by the browser's own DecompressionStream.
  var pending = [];
  function readData(node) {
    if (node.type !== "application/zlib") { return Promise.resolve(JSON.parse(node.textContent)); }
    if (typeof DecompressionStream !== "function") {
      return Promise.reject(new Error("this browser cannot unpack the page's data (it needs DecompressionStream: Chrome 80, Firefox 113, Safari 16.4 or later)"));
    }
    var text = atob(node.textContent.trim()), bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i += 1) { bytes[i] = text.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).text().then(JSON.parse);
  }
  function cannotShow(near, error) {
    near.parentNode.insertBefore(el("p", "note data-error", "Not shown: " + error.message + "."), near);
  }
  // A field's change as entries (flowaudit.report.field_diff): keyed entries of a list or
  // object, a long string's changed lines, a moved step's positions, a count left out.
  var KINDS = { a: "added", r: "removed", m: "modified", v: "moved", l: "lines changed", x: "" };
  function lineDiff(rows) {
    var table = el("table", "diff");
    var body = table.appendChild(el("tbody"));
    rows.forEach(function (line) {
      if (line[0] === "@") {
        var hunk = body.appendChild(el("tr", "hunk"));
        cell(hunk, "", "ln"); cell(hunk, "", "ln"); cell(hunk, line[1], "code");
        return;
      }
      var row = body.appendChild(el("tr", line[0] === "+" ? "line-add" : line[0] === "-" ? "line-del" : "line-same"));
      cell(row, line[1] === null ? "" : String(line[1]), "ln old-no");
      cell(row, line[2] === null ? "" : String(line[2]), "ln new-no");
      cell(row, line[0] + " " + line[3], "code");
    });
    return table;
  }
  function fieldsTable(fields, paths) {
    if (!fields.length) { return el("p", "note", "No field-level detail recorded."); }
    var table = el("table", "fields");
    var head = el("tr");
    ["Field", "Change", "Before", "After"].forEach(function (name) { head.appendChild(el("th", null, name)); });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    fields.forEach(function (f) {
      var kind = KINDS[f[1]];
      var row = body.appendChild(el("tr", "kind-" + (kind || "more").split(" ")[0]));
      var path = cell(row, el("code", null, (paths && paths[f[0]]) || f[0] || "(whole resource)"));
      if (paths && paths[f[0]]) { path.firstChild.title = f[0]; }  // the raw path on hover
      cell(row, kind);
      if (f[1] === "l") {
        cell(row, lineDiff(f[3]), "lines").colSpan = 2;
      } else if (f[1] === "v") {
        cell(row, "position " + (f[2] + 1), "old");
        cell(row, "position " + (f[3] + 1), "new");
      } else if (f[1] === "x") {
        cell(row, "", "old");
        cell(row, "", "new");
      } else {
        cell(row, shownValue(f[1] !== "a", f[2]), "old");
        cell(row, shownValue(f[1] !== "r", f[3]), "new");
      }
    });
    return table;
  }
  // A change set (flowaudit.report.change_sets): the records made with this one, folded.
  function changeSet(r, data) {
    var details = el("details", "change-set");
    details.appendChild(el("summary", null, "Change set: " + r[13].length + " more record" +
      (r[13].length === 1 ? "" : "s") + " made with it (" + r[13].map(function (m) { return m[5]; })
      .filter(function (t, i, all) { return all.indexOf(t) === i; }).join(", ") + ")"));
    var table = details.appendChild(el("table", "set-members"));
    var head = el("tr");
    ["Resource", "Event", "Fields"].forEach(function (name) { head.appendChild(el("th", null, name)); });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    r[13].forEach(function (m) {
      var row = body.appendChild(el("tr"));
      row.setAttribute("data-event-id", m[0]);
      cell(row, m[5] + " ").appendChild(el("b", null, m[6]));
      cell(row, m[4]);
      cell(row, fieldsTable(m[9], data.paths));
    });
    return details;
  }
  function changeRow(r, data) {
    var person = data.people[r[2]], integration = data.integrations[r[7]];
    var flows = r[8].map(function (i) { return data.flows[i]; });
    var row = el("tr");
    row.setAttribute("data-row", "");
    row.setAttribute("data-event-id", r[0]);
    row.setAttribute("data-user", person[0]);
    row.setAttribute("data-integration", integration);
    var flowNames = flows.map(function (f) { return f[0]; });
    r[13].forEach(function (m) { m[8].forEach(function (i) { flowNames.push(data.flows[i][0]); }); });
    row.setAttribute("data-flow-list", JSON.stringify(flowNames));
    row.setAttribute("data-source", r[3]);
    row.setAttribute("data-event", r[4]);
    row.setAttribute("data-time", r[1]);
    if (r[10]) { row.setAttribute("data-new", ""); }
    if (r[11]) { row.setAttribute("data-offhours", ""); }
    if (r[3] === "api") { row.setAttribute("data-api", ""); }
    if (r[12]) { row.setAttribute("data-attention", ""); }
    if (r[13].length) { row.setAttribute("data-set", String(r[13].length + 1)); }
    var when = cell(row, el("time", null, r[1].slice(0, 16).replace("T", " ") + " UTC"));
    when.firstChild.setAttribute("datetime", r[1]);
    when.setAttribute("data-sort", r[1]);
    if (r[10]) {
      when.appendChild(document.createTextNode(" "));
      when.appendChild(el("span", "new-since", "new")).title = "after the previous run";
    }
    cell(row, person[0]).title = person[1];
    cell(row, r[3]);
    cell(row, r[4]);
    cell(row, integration);
    var links = cell(row, null);
    flows.forEach(function (f, i) {
      if (i) { links.appendChild(document.createTextNode(", ")); }
      var a = links.appendChild(el("a", null, f[0]));
      a.setAttribute("href", f[1]);
    });
    var resource = cell(row, r[5] + " ");
    resource.appendChild(el("b", null, r[6]));
    var fields = cell(row, fieldsTable(r[9], data.paths));
    if (r[13].length) { fields.appendChild(changeSet(r, data)); }
    if (r[11]) { when.appendChild(document.createTextNode(" ")); when.appendChild(el("span", "tag", "off-hours")); }
    ["When", "Who", "Source", "Event", "Integration", "Flow", "Resource", "Fields"].forEach(function (name, i) {
      row.cells[i].setAttribute("data-col", name);
    });
    return row;
  }
  function fillFilters(form, data) {
    var found = { user: {}, integration: {}, flow: {}, source: {}, event: {} };
    data.rows.forEach(function (r) {
      found.user[data.people[r[2]][0]] = 1;
      found.integration[data.integrations[r[7]]] = 1;
      r[8].forEach(function (i) { found.flow[data.flows[i][0]] = 1; });
      r[13].forEach(function (m) { m[8].forEach(function (i) { found.flow[data.flows[i][0]] = 1; }); });
      found.source[r[3]] = 1;
      found.event[r[4]] = 1;
    });
    form.querySelectorAll("select[data-key]").forEach(function (select) {
      var values = Object.keys(found[select.getAttribute("data-key")] || {}).filter(Boolean);
      values.sort(function (x, y) { var a = x.toLowerCase(), b = y.toLowerCase(); return a < b ? -1 : a > b ? 1 : 0; });
      values.forEach(function (value) { select.appendChild(el("option", null, value)); });
    });
  }
  var tablesDrawn = Array.prototype.map.call(document.querySelectorAll("table[data-rows]"), function (table) {
    var source = document.getElementById(table.getAttribute("data-rows"));
    if (!source) { return null; }
    return readData(source).then(function (data) {
      var rows = document.createDocumentFragment();
      data.rows.forEach(function (r) { rows.appendChild(changeRow(r, data)); });
      table.tBodies[0].appendChild(rows);
      var form = document.querySelector('form.filters[data-table="' + table.id + '"]');
      if (form) { fillFilters(form, data); }
    }, function (error) { cannotShow(table, error); });
  });
  // A filter form's state lives in the page's address (#period=week&user=...): a filtered view
  // can be bookmarked and sent, and comes back on reload.
  function formState(form) {
    var state = [];
    var period = form.querySelector("input[name=period]:checked");
    var first = form.querySelector("input[name=period]");
    if (period && period !== first) { state.push(["period", period.value]); }
    form.querySelectorAll("select[name], input[type=search][name]").forEach(function (input) {
      if (input.value) { state.push([input.name, input.value]); }
    });
    form.querySelectorAll("input[type=checkbox][name]").forEach(function (box) {
      if (box.checked) { state.push([box.name, "1"]); }
    });
    return state.map(function (pair) { return encodeURIComponent(pair[0]) + "=" + encodeURIComponent(pair[1]); }).join("&");
  }
  function restoreState(form) {
    var hash = window.location.hash.replace(/^#/, "");
    if (!hash || hash.indexOf("=") === -1) { return; }
    hash.split("&").forEach(function (pair) {
      var parts = pair.split("="), name = decodeURIComponent(parts[0]), value = decodeURIComponent(parts[1] || "");
      var inputs = form.querySelectorAll('[name="' + name.replace(/["\\]/g, "") + '"]');
      inputs.forEach(function (input) {
        if (input.type === "radio") { input.checked = input.value === value; }
        else if (input.type === "checkbox") { input.checked = value === "1"; }
        else if (input.tagName === "SELECT") {
          if (!Array.prototype.some.call(input.options, function (o) { return o.value === value; })) {
            input.appendChild(el("option", null, value));  // a value no row of the period has
          }
          input.value = value;
        } else { input.value = value; }
      });
    });
  }
  function saveState(form) {
    var state = formState(form);
    var url = window.location.href.split("#")[0] + (state ? "#" + state : "");
    try { window.history.replaceState(null, "", url); } catch (e) { /* some viewers refuse it */ }
  }
  function applyFilters(form) {
    var table = document.getElementById(form.getAttribute("data-table"));
    if (!table) { return; }
    var selects = form.querySelectorAll("select[data-key]");
    var text = form.querySelector("input[type=search]");
    var needle = text ? text.value.trim().toLowerCase() : "";
    var period = form.querySelector("input[name=period]:checked");
    var since = period && period.getAttribute("data-start") ? Date.parse(period.getAttribute("data-start")) : null;
    var flags = Array.prototype.filter.call(form.querySelectorAll("input[data-flag]"), function (box) { return box.checked; })
      .map(function (box) { return "data-" + box.getAttribute("data-flag"); });
    var shown = 0, inPeriod = 0;
    table.querySelectorAll("tbody tr[data-row]").forEach(function (row) {
      if (since !== null && row.hasAttribute("data-time") && !(Date.parse(row.getAttribute("data-time")) > since)) {
        row.hidden = true;
        return;
      }
      inPeriod += 1;
      var ok = flags.every(function (flag) { return row.hasAttribute(flag); });
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
    var total = document.getElementById(form.getAttribute("data-total") || "");
    if (total) { total.textContent = String(inPeriod); }
  }
  function startFilters(form) {
    var changed = function () { applyFilters(form); saveState(form); };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(changed, 0); });
    restoreState(form);
    applyFilters(form);
    window.addEventListener("hashchange", function () {
      if (window.location.hash.replace(/^#/, "") === formState(form)) { return; }
      form.reset();
      restoreState(form);
      applyFilters(form);
    });
  }
  // Filters start once the tables' rows are drawn (their options come from the rows).
  pending.push(Promise.all(tablesDrawn).then(function () {
    document.querySelectorAll("form.filters[data-table]").forEach(startFilters);
  }));
  // Sortable headers: the header's text becomes a button (Tab reaches it, Enter and Space sort);
  // the header says how its table is sorted (aria-sort), the arrow is only decoration.
  function sortBy(th) {
    var table = th.closest("table");
    var body = table.tBodies[0];
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var descending = th.getAttribute("aria-sort") !== "descending";
    table.querySelectorAll("th.sortable").forEach(function (other) {
      other.removeAttribute("aria-sort");
      var arrow = other.querySelector(".sort-arrow");
      if (arrow) { arrow.textContent = " \u21c5"; }
    });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    th.querySelector(".sort-arrow").textContent = descending ? " \u2193" : " \u2191";
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
  }
  document.querySelectorAll("th.sortable").forEach(function (th) {
    var button = el("button");
    button.type = "button";
    while (th.firstChild) { button.appendChild(th.firstChild); }
    button.appendChild(el("span", "sort-arrow", " \u21c5")).setAttribute("aria-hidden", "true");
    th.appendChild(button);
    button.addEventListener("click", function () { sortBy(th); });
  });
  // The overview's flow list: a search hides the flows (and integrations) that do not match and
  // unfolds the groups that do; an empty search puts the groups back as they were.
  var flowSearch = document.getElementById("flow-search");
  if (flowSearch) {
    var groups = Array.prototype.slice.call(document.querySelectorAll("#flow-groups details.flow-group"));
    var unfolded = groups.map(function (g) { return g.open; });
    var searchCount = document.getElementById("flow-search-count");
    flowSearch.addEventListener("input", function () {
      var needle = flowSearch.value.trim().toLowerCase();
      var found = 0;
      groups.forEach(function (group, i) {
        var integrationMatches = group.getAttribute("data-integration").toLowerCase().indexOf(needle) !== -1;
        var shown = 0;
        group.querySelectorAll("li").forEach(function (item) {
          var ok = !needle || integrationMatches || item.textContent.toLowerCase().indexOf(needle) !== -1;
          item.hidden = !ok;
          if (ok) { shown += 1; }
        });
        group.hidden = shown === 0;
        group.open = needle ? shown > 0 : unfolded[i];
        found += shown;
      });
      searchCount.textContent = needle ? found + (found === 1 ? " flow matches" : " flows match") : "";
    });
  }
  // Print and PDF show every value: collapsed values are opened for printing, closed again after.
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (details) {
      details.open = true;
      openedForPrint.push(details);
    });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (details) { details.open = false; });
    openedForPrint = [];
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
  function startVersionViewer(versions, configs) {
    var output = document.getElementById("version-config");
    versions.forEach(function (v, i) {
      var label = String(v.number) + (v.from ? " (from " + v.from.slice(0, 16).replace("T", " ") + " UTC)" : "");
      var option = versionSelect.appendChild(el("option", null, label + (i === 0 ? ", current" : "")));
      option.value = String(v.number);
    });
    versionSelect.disabled = false;
    // The steps and connections as they were when a version began (flowaudit.report.flow_configs).
    var stepsOutput = document.getElementById("version-steps");
    function showSteps(number) {
      stepsOutput.textContent = "";
      var parts = configs && configs.at[String(number)];
      if (!parts) {
        if (configs) { stepsOutput.appendChild(el("p", "note", "Steps are shown for the newest " + configs.compared.length + " versions.")); }
        return;
      }
      stepsOutput.appendChild(el("h3", null, "Steps and connections at version " + number));
      parts.forEach(function (p) {
        var box = stepsOutput.appendChild(el("details", "step-config"));
        box.setAttribute("data-step", p[0] + ":" + p[1]);
        box.appendChild(el("summary", null, p[0] + " " + p[2] + (p[3] ? " (its version " + p[3].split(":").pop() + ")" : " (did not exist then)")));
        if (p[3]) { box.appendChild(el("pre", "value", JSON.stringify(sortKeys(capStrings(configs.documents[p[3]])), null, 2))); }
      });
    }
    // A step's strings are carried whole (a compare's line diff needs them) and cut for showing.
    function capStrings(value) {
      if (typeof value === "string") {
        var limit = configs.limits.string_chars;
        return value.length <= limit ? value : value.slice(0, limit) + "\u2026 " + (value.length - limit) + " more characters";
      }
      if (value === null || typeof value !== "object") { return value; }
      var out = Array.isArray(value) ? [] : {};
      Object.keys(value).forEach(function (key) { out[key] = capStrings(value[key]); });
      return out;
    }
    function flowDocAt(wanted) {
      var doc = JSON.parse(currentConfig.textContent);
      versions.forEach(function (v) { if (v.number > wanted) { doc = applyPatch(doc, v.back); } });
      return doc;
    }
    versionSelect.addEventListener("change", function () {
      var wanted = parseInt(versionSelect.value, 10);
      var doc = flowDocAt(wanted);
      output.textContent = JSON.stringify(sortKeys(doc), null, 2);
      output.hidden = wanted === versions[0].number;
      showSteps(wanted);
    });
    // Compare two versions (older to newer), computed by _flow_compare.js from what the page carries.
    var compareFrom = document.getElementById("compare-from"), compareTo = document.getElementById("compare-to");
    // (A user's own base.html without the page_script block has no compare script.)
    if (configs && compareFrom && compareTo && typeof flowCompare === "function") {
      configs.compared.forEach(function (number, i) {
        compareFrom.appendChild(el("option", null, String(number))).selected = i === 1;
        compareTo.appendChild(el("option", null, String(number))).selected = i === 0;
      });
      var compareResult = document.getElementById("compare-result");
      var compare = function () {
        var a = parseInt(compareFrom.value, 10), b = parseInt(compareTo.value, 10);
        var older = Math.min(a, b), newer = Math.max(a, b);
        compareResult.textContent = "";
        if (older === newer) { compareResult.appendChild(el("p", "note", "The same version.")); return; }
        compareResult.appendChild(el("p", null, "From version " + older + " to version " + newer + ":"));
        var entries = flowCompare(configs, flowDocAt, older, newer);
        compareResult.appendChild(entries.length ? fieldsTable(entries) : el("p", "note", "No differences."));
      };
      compareFrom.addEventListener("change", compare);
      compareTo.addEventListener("change", compare);
      compare();
    }
  }
  var versionsRead = versionData ? readData(versionData) : null;
  if (versionsRead && versionSelect && currentConfig) {
    var configsBlock = document.getElementById("flow-configs");
    pending.push(Promise.all([versionsRead, configsBlock ? readData(configsBlock) : null]).then(
      function (found) { startVersionViewer(found[0].versions, found[1]); },
      function (error) { cannotShow(versionSelect.parentNode, error); }));
  }
  // The timeline's older versions: left out of the page's HTML and drawn here, each line as
  // flow.html writes the newest (its texts from flowaudit.report.flow_page.timeline_line).
  var timeline = document.querySelector("#versions ol.timeline");
  var olderNote = document.getElementById("older-versions");
  function drawTimeline(versions) {
    versions.forEach(function (v) {
      if (!v.line) { return; }
      var line = v.line, item = el("li");
      var add = function (node) {
        item.appendChild(document.createTextNode(" "));
        return item.appendChild(node);
      };
      item.setAttribute("data-version", String(v.number));
      item.setAttribute("data-origin", v.origin);
      item.appendChild(el("b", null, "Version " + v.number));
      add(el("span", "when", line[0]));
      if (line[1]) { add(el("span", "author", "by " + line[1])).setAttribute("title", line[2]); }
      if (line[3]) { add(el("span", "source", "(" + line[4] + ")")).setAttribute("data-source", line[3]); }
      if (line[5]) { add(el("span", "tag label-" + line[5], line[5])).setAttribute("data-label", line[5]); }
      if (v.origin === "reconstructed") { add(el("span", "tag", "reconstructed from the audit log")); }
      if (line[6].length) {
        var changed = add(el("p", "changed", "Changed: "));
        line[6].forEach(function (path, i) {
          if (i) { changed.appendChild(document.createTextNode(", ")); }
          changed.appendChild(el("code", null, path));
        });
        changed.appendChild(document.createTextNode((line[7] ? " and " + line[7] + " more" : "") + "."));
      } else if (v.number === 1) {
        add(el("p", "note", "The first known version."));
      }
      timeline.appendChild(item);
    });
    olderNote.hidden = true;
  }
  if (versionsRead && timeline && olderNote) {
    pending.push(versionsRead.then(function (found) { drawTimeline(found.versions); },
                                   function (error) { cannotShow(olderNote, error); }));
  }
  // Everything drawn from the page's data blocks: what a test may wait for.
  Promise.all(pending).then(function () { document.documentElement.setAttribute("data-ready", ""); });
})();
