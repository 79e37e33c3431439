// The flow page's compare of two versions, computed here from what the page carries (the
// flow's configuration and patches, and flowaudit.report.flow_configs.configs_data) as
// flowaudit.report.flow_configs.compare_versions computes it in Python: the keyed diff of
// flowaudit.transform.diff, long strings as changed lines (difflib's matching, as
// flowaudit.transform.line_diff), entries as flowaudit.report.field_diff.entry_data writes them.
// tests/report/test_flow_compare_parity.py holds the two to the same entries.
var flowCompare = (function () {
  "use strict";
  var IDENTITY_KEYS = ["_exportId", "_importId", "_id", "generate"];
  var STEP_TYPES = { _exportId: "export", _importId: "import", _connectionId: "connection" };
  var has = function (o, k) { return Object.prototype.hasOwnProperty.call(o, k); };
  var isObject = function (v) { return v !== null && typeof v === "object" && !Array.isArray(v); };

  function equal(a, b) {
    if (a === b) { return true; }
    if (Array.isArray(a)) {
      return Array.isArray(b) && a.length === b.length && a.every(function (x, i) { return equal(x, b[i]); });
    }
    if (!isObject(a) || !isObject(b)) { return false; }
    var keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every(function (k) { return has(b, k) && equal(a[k], b[k]); });
  }

  // -- volatile fields (flowaudit.documents.volatility.VolatileFields.strip) ------------------
  // Keys come out sorted, as in Python's compare: a patched document's order is no change.
  function withoutKeys(value, names) {
    if (Array.isArray(value)) { return value.map(function (v) { return withoutKeys(v, names); }); }
    if (!isObject(value)) { return value; }
    var out = {};
    Object.keys(value).sort().forEach(function (k) { if (names.indexOf(k) === -1) { out[k] = withoutKeys(value[k], names); } });
    return out;
  }
  function withoutPattern(value, pattern) {
    var head = pattern[0], rest = pattern.slice(1), copy;
    if (isObject(value)) {
      var keys = head === "*" ? Object.keys(value) : has(value, head) ? [head] : [];
      if (!keys.length) { return value; }
      copy = Object.assign({}, value);
      keys.forEach(function (k) { if (rest.length) { copy[k] = withoutPattern(copy[k], rest); } else { delete copy[k]; } });
      return copy;
    }
    if (!Array.isArray(value) || (head !== "*" && !/^\d+$/.test(head))) { return value; }
    var indexes = head === "*" ? value.map(function (_, i) { return i; }) : +head < value.length ? [+head] : [];
    if (!rest.length) { return value.filter(function (_, i) { return indexes.indexOf(i) === -1; }); }
    copy = value.slice();
    indexes.forEach(function (i) { copy[i] = withoutPattern(copy[i], rest); });
    return copy;
  }
  function strip(doc, volatile) {
    if (!isObject(doc)) { return doc; }
    var out = withoutKeys(doc, volatile.anywhere);
    volatile.anchored.forEach(function (pattern) { out = withoutPattern(out, pattern); });
    return out;
  }

  // -- the keyed diff (flowaudit.transform.diff) -------------------------------------------
  function identity(item) {
    if (!isObject(item)) { return null; }
    for (var i = 0; i < IDENTITY_KEYS.length; i += 1) {
      var v = item[IDENTITY_KEYS[i]];
      if ((typeof v === "string" && v !== "") || (typeof v === "number" && Number.isInteger(v))) {
        return IDENTITY_KEYS[i] + "=" + String(v);
      }
    }
    return null;
  }
  // Selectors like `_importId=abc` for every item (the second of two equal ones `#2`), or null.
  function keyed(items) {
    var selectors = items.map(identity), seen = {};
    if (!items.length || selectors.indexOf(null) !== -1) { return null; }
    return selectors.map(function (s) {
      seen[s] = (seen[s] || 0) + 1;
      return seen[s] === 1 ? s : s + "#" + seen[s];
    });
  }
  // Items of a that keep their relative order in b (the rest were moved).
  function commonSubsequence(a, b) {
    var table = [], i, j;
    for (i = a.length; i >= 0; i -= 1) {
      table[i] = [];
      for (j = b.length; j >= 0; j -= 1) {
        table[i][j] = i === a.length || j === b.length ? 0
          : a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
      }
    }
    var result = [];
    for (i = 0, j = 0; i < a.length && j < b.length;) {
      if (a[i] === b[j]) { result.push(a[i]); i += 1; j += 1; } else if (table[i + 1][j] >= table[i][j + 1]) { i += 1; } else { j += 1; }
    }
    return result;
  }
  function diffValues(a, b, path, out) {
    if (isObject(a) && isObject(b)) {
      Object.keys(a).concat(Object.keys(b).filter(function (k) { return !has(a, k); })).forEach(function (k) {
        var child = path ? path + "." + k : k;
        if (!has(b, k)) { out.push([child, "removed", a[k]]); } else if (!has(a, k)) { out.push([child, "added", undefined, b[k]]); } else if (!equal(a[k], b[k])) { diffValues(a[k], b[k], child, out); }
      });
    } else if (Array.isArray(a) && Array.isArray(b)) {
      diffLists(a, b, path, out);
    } else if (!equal(a, b)) {
      out.push([path, "modified", a, b]);
    }
  }
  function diffLists(a, b, path, out) {
    if (equal(a, b)) { return; }
    var oldKeys = keyed(a), newKeys = keyed(b);
    if (oldKeys === null && !a.length && newKeys !== null) { oldKeys = []; }
    if (newKeys === null && !b.length && oldKeys !== null) { newKeys = []; }
    if (oldKeys === null || newKeys === null) { diffPositional(a, b, path, out); return; }
    var oldAt = new Map(oldKeys.map(function (k, i) { return [k, a[i]]; }));
    var newAt = new Map(newKeys.map(function (k, i) { return [k, b[i]]; }));
    oldKeys.forEach(function (k) { if (!newAt.has(k)) { out.push([path + "[" + k + "]", "removed", oldAt.get(k)]); } });
    var stayed = new Set(commonSubsequence(oldKeys.filter(function (k) { return newAt.has(k); }),
                                           newKeys.filter(function (k) { return oldAt.has(k); })));
    newKeys.forEach(function (k, i) {
      var selector = path + "[" + k + "]";
      if (!oldAt.has(k)) { out.push([selector, "added", undefined, b[i]]); return; }
      if (!stayed.has(k)) { out.push([selector, "moved", oldKeys.indexOf(k), i]); }
      if (!equal(oldAt.get(k), newAt.get(k))) { diffValues(oldAt.get(k), newAt.get(k), selector, out); }
    });
  }
  function diffPositional(a, b, path, out) {
    // A list of ids or names reads best as one before/after value.
    if (a.concat(b).every(function (v) { return v === null || typeof v !== "object"; })) { out.push([path, "modified", a, b]); return; }
    for (var i = 0; i < Math.max(a.length, b.length); i += 1) {
      var selector = path + "[" + i + "]";
      if (i >= a.length) { out.push([selector, "added", undefined, b[i]]); } else if (i >= b.length) { out.push([selector, "removed", a[i]]); } else if (!equal(a[i], b[i])) { diffValues(a[i], b[i], selector, out); }
    }
  }

  // -- line diffs (difflib.SequenceMatcher without junk, as flowaudit.transform.line_diff) --
  function matchingBlocks(a, b) {
    var where = new Map();
    b.forEach(function (line, j) { if (!where.has(line)) { where.set(line, []); } where.get(line).push(j); });
    function longest(alo, ahi, blo, bhi) {
      var best = [alo, blo, 0], lengths = new Map();
      for (var i = alo; i < ahi; i += 1) {
        var next = new Map(), js = where.get(a[i]) || [];
        for (var n = 0; n < js.length; n += 1) {
          var j = js[n];
          if (j < blo) { continue; }
          if (j >= bhi) { break; }
          var k = (lengths.get(j - 1) || 0) + 1;
          next.set(j, k);
          if (k > best[2]) { best = [i - k + 1, j - k + 1, k]; }
        }
        lengths = next;
      }
      return best;
    }
    var queue = [[0, a.length, 0, b.length]], blocks = [];
    while (queue.length) {
      var q = queue.pop(), m = longest(q[0], q[1], q[2], q[3]);
      if (!m[2]) { continue; }
      blocks.push(m);
      if (q[0] < m[0] && q[2] < m[1]) { queue.push([q[0], m[0], q[2], m[1]]); }
      if (m[0] + m[2] < q[1] && m[1] + m[2] < q[3]) { queue.push([m[0] + m[2], q[1], m[1] + m[2], q[3]]); }
    }
    blocks.sort(function (x, y) { return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
    var joined = [], last = [0, 0, 0];
    blocks.forEach(function (m) {
      if (last[0] + last[2] === m[0] && last[1] + last[2] === m[1]) { last[2] += m[2]; return; }
      if (last[2]) { joined.push(last); }
      last = m.slice();
    });
    if (last[2]) { joined.push(last); }
    joined.push([a.length, b.length, 0]);
    return joined;
  }
  function groupedOpcodes(a, b, n) {
    var codes = [], i = 0, j = 0;
    matchingBlocks(a, b).forEach(function (m) {
      var tag = i < m[0] && j < m[1] ? "replace" : i < m[0] ? "delete" : j < m[1] ? "insert" : "";
      if (tag) { codes.push([tag, i, m[0], j, m[1]]); }
      i = m[0] + m[2]; j = m[1] + m[2];
      if (m[2]) { codes.push(["equal", m[0], i, m[1], j]); }
    });
    if (!codes.length) { codes = [["equal", 0, 1, 0, 1]]; }
    var c = codes[0];
    if (c[0] === "equal") { codes[0] = [c[0], Math.max(c[1], c[2] - n), c[2], Math.max(c[3], c[4] - n), c[4]]; }
    c = codes[codes.length - 1];
    if (c[0] === "equal") { codes[codes.length - 1] = [c[0], c[1], Math.min(c[2], c[1] + n), c[3], Math.min(c[4], c[3] + n)]; }
    var groups = [], group = [];
    codes.forEach(function (code) {
      var i1 = code[1], j1 = code[3];
      if (code[0] === "equal" && code[2] - i1 > n + n) {
        group.push(["equal", i1, Math.min(code[2], i1 + n), j1, Math.min(code[4], j1 + n)]);
        groups.push(group);
        group = [];
        i1 = Math.max(i1, code[2] - n); j1 = Math.max(j1, code[4] - n);
      }
      group.push([code[0], i1, code[2], j1, code[4]]);
    });
    if (group.length && !(group.length === 1 && group[0][0] === "equal")) { groups.push(group); }
    return groups;
  }
  function splitLines(text) {
    if (!text) { return []; }
    var lines = text.split("\n");
    return text.slice(-1) === "\n" ? lines.slice(0, -1) : lines;
  }
  // The rows of entry_data's "l" entry: ["@", header] and [tag, old number, new number, text].
  function lineRows(oldText, newText, limits) {
    var a = splitLines(oldText), b = splitLines(newText), rows = [], shown = 0, leftOut = 0;
    var line = function (tag, o, n, text) { return [tag, o, n, capText(text, limits.line_chars)]; };
    groupedOpcodes(a, b, limits.context).forEach(function (group) {
      var lines = [];
      group.forEach(function (op) {
        var k;
        if (op[0] === "equal") {
          for (k = op[1]; k < op[2]; k += 1) { lines.push(line(" ", k + 1, op[3] + (k - op[1]) + 1, a[k])); }
          return;
        }
        if (op[0] !== "insert") { for (k = op[1]; k < op[2]; k += 1) { lines.push(line("-", k + 1, null, a[k])); } }
        if (op[0] !== "delete") { for (k = op[3]; k < op[4]; k += 1) { lines.push(line("+", null, k + 1, b[k])); } }
      });
      var room = Math.max(limits.lines - shown, 0);
      if (lines.length > room) { leftOut += lines.length - room; lines = lines.slice(0, room); }
      shown += lines.length;
      if (lines.length) {
        var first = group[0], last = group[group.length - 1];
        var oldCount = last[2] - first[1], newCount = last[4] - first[3];
        rows.push(["@", "@@ -" + (first[1] + (oldCount ? 1 : 0)) + "," + oldCount + " +" + (first[3] + (newCount ? 1 : 0)) + "," + newCount + " @@"]);
        rows.push.apply(rows, lines);
      }
    });
    if (leftOut) { rows.push(["@", leftOut + " more diff lines are not shown"]); }
    return rows;
  }

  // -- entries as a page shows them (flowaudit.report.field_diff, flowaudit.report.masking) --
  function capText(text, limit) {
    return text.length <= limit ? text : text.slice(0, limit) + "\u2026 " + (text.length - limit) + " more characters";
  }
  function shown(value, masked, limits) {
    if (Array.isArray(value)) { return value.map(function (v) { return shown(v, masked, limits); }); }
    if (isObject(value)) {
      var out = {};
      Object.keys(value).forEach(function (k) { out[k] = shown(value[k], masked, limits); });
      return out;
    }
    if (masked) { return value === null || value === "" || typeof value === "boolean" ? value : limits.mask; }
    if (typeof value !== "string") { return value; }
    // A secret told apart from another (`******** (2)`) shows as any secret does.
    return new RegExp(limits.told_apart).test(value) ? limits.mask : capText(value, limits.string_chars);
  }
  function namedPath(path, names, limits) {
    return path.replace(/\[(_exportId|_importId|_connectionId)=([^\]#]*)(#\d+)?\]/g, function (_, key, id, occurrence) {
      var type = STEP_TYPES[key], name = names[type + ":" + id] || id;
      return "[" + type + ' "' + capText(name, limits.name_chars) + '"' + (occurrence || "") + "]";
    });
  }
  function isLong(v, limits) { return typeof v === "string" && (v.length > limits.long_string || v.indexOf("\n") !== -1); }
  function entry(change, secret, configs) {
    var limits = configs.limits, path = namedPath(change[0], configs.names, limits), kind = change[1];
    if (kind === "moved") { return [path, "v", change[2], change[3]]; }
    var masked = secret(change[0]);
    if (kind === "modified" && !masked && typeof change[2] === "string" && typeof change[3] === "string" &&
        (isLong(change[2], limits) || isLong(change[3], limits))) {
      return [path, "l", null, lineRows(change[2], change[3], limits)];
    }
    var value = function (v) { return v === undefined ? null : shown(v, masked, limits); };
    return [path, { added: "a", removed: "r", modified: "m" }[kind], value(change[2]), value(change[3])];
  }
  // A whole step (or connection) added or removed: its document is on the page once, under
  // the version that has it (flow_configs._step_reference).
  function stepReference(e, older, newer) {
    var path = e[0];
    if (path.indexOf("flow") === 0 || path.split('"').pop().indexOf(".") !== -1 || (e[1] !== "a" && e[1] !== "r")) { return e; }
    return e[1] === "a" ? [path, "a", null, "(its configuration is shown at version " + newer + ")"]
      : [path, "r", "(its configuration is shown at version " + older + ")", null];
  }

  // A version as one document to compare: the flow and each step and connection as it was,
  // keyed by today's name (flow_configs.version_documents).
  function versionDocument(configs, flowDoc, number) {
    var whole = { flow: strip(flowDoc, configs.volatile.flow) };
    configs.at[String(number)].forEach(function (p) {
      if (!p[3]) { return; }
      var label = p[0] + ' "' + (configs.names[p[0] + ":" + p[1]] || p[1]) + '"';
      whole[has(whole, label) ? label + " (" + p[1] + ")" : label] = strip(configs.documents[p[3]], configs.volatile[p[0]]);
    });
    return whole;
  }

  // The entries from version `older` to version `newer` (flowDoc: number -> the flow's document).
  return function (configs, flowDoc, older, newer) {
    var changes = [];
    diffValues(versionDocument(configs, flowDoc(older), older), versionDocument(configs, flowDoc(newer), newer), "", changes);
    var secret = function (path) {
      // Keys inside a document are masked in it already; a step's label may name a secret too.
      return configs.secret.some(function (label) { return path.indexOf(label) === 0; });
    };
    var max = configs.limits.entries;
    var entries = changes.slice(0, max).map(function (c) { return stepReference(entry(c, secret, configs), older, newer); });
    if (changes.length > max) { entries.push(["\u2026 " + (changes.length - max) + " more differences", "x", null, null]); }
    return entries;
  };
})();
