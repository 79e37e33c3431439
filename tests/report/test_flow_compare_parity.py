"""The flow page's compare is computed by the page's script (_flow_compare.js); Python's
keyed diff (flow_configs.compare_versions, over field_diff.field_entries) is the reference.
For every demo flow, every pair of the versions its page compares gives exactly the same
entries (path, kind, old, new) in Chromium as in Python; so does a made-up flow holding what
the demo lacks (line diffs, moves, repeated steps, secrets, the entry cap)."""

# ruff: noqa: F811  (the browser_page fixture is imported from test_browser and named as a parameter)
from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from flowaudit.assets import templates_dir
from flowaudit.config import DEFAULT_SECRET_FIELD_PATTERN, DEFAULT_VOLATILE_FIELDS
from flowaudit.report.display import flow_file_name
from flowaudit.report.filters import compact_script, compact_style
from flowaudit.report.flow_configs import RecentVersion, StepVersion, compare_versions, configs_data
from flowaudit.report.masking import display_document
from tests.report.compare_reference import python_compares
from tests.report.page_blocks import block_data
from tests.report.test_browser import browser_page  # noqa: F401  (the shared fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The flow's document at a version as the page's own script rebuilds it (the current
# configuration with each newer version's patch undone), then the page's compare of two;
# the page's data blocks, as the page carries them, are read in Python (page_blocks).
PAGE_COMPARE = """([older, newer, versions, configs]) => {
  const flowDoc = (wanted) => {
    let doc = JSON.parse(document.querySelector("#current-config pre.value").textContent);
    for (const v of versions) {
      if (v.number <= wanted) continue;
      for (const [op, path, value] of v.back) {
        if (path.length === 0) { doc = op === "s" ? structuredClone(value) : null; continue; }
        let node = doc;
        for (const key of path.slice(0, -1)) node = node[key];
        if (op === "s") node[path[path.length - 1]] = structuredClone(value); else delete node[path[path.length - 1]];
      }
    }
    return doc;
  };
  return flowCompare(configs, flowDoc, older, newer);
}"""


@pytest.fixture(scope="module")
def demo_compares(demo_out: Path) -> dict[str, dict[tuple[int, int], list]]:
    """For every demo flow: Python's entries for every pair of the versions its page compares."""
    return python_compares(
        demo_out / "demo.duckdb",
        "default",
        DEFAULT_SECRET_FIELD_PATTERN,
        tuple(DEFAULT_VOLATILE_FIELDS),
    )


def test_the_page_compares_every_pair_as_python_does(browser_page, demo_out: Path, demo_compares):
    page, problems = browser_page
    checked = 0
    kinds: set[str] = set()
    for flow_id, pairs in demo_compares.items():
        path = demo_out / "reports" / "latest" / "flows" / flow_file_name(flow_id)
        page.goto(path.as_uri())
        carried = LexborHTMLParser(path.read_text(encoding="utf-8"))
        versions = block_data(carried, "flow-versions")["versions"]
        configs = block_data(carried, "flow-configs")
        for (older, newer), expected in pairs.items():
            got = page.evaluate(PAGE_COMPARE, [older, newer, versions, configs])
            assert got == expected, (flow_id, older, newer)
            checked += 1
            kinds.update(entry[1] for entry in expected)
    assert len(demo_compares) > 10 and checked > 100 and {"a", "r", "m", "v"} <= kinds
    assert problems == []


def test_a_chosen_pair_is_drawn_as_python_computes_it(browser_page, demo_out: Path, demo_compares):
    page, problems = browser_page
    flow_id, pairs = max(demo_compares.items(), key=lambda item: len(item[1]))
    path = demo_out / "reports" / "latest" / "flows" / flow_file_name(flow_id)
    page.goto(path.as_uri())
    data = block_data(LexborHTMLParser(path.read_text(encoding="utf-8")), "flow-configs")
    assert "pairs" not in data  # the page carries no precomputed compare
    older, newer = data["compared"][-1], data["compared"][0]
    page.select_option("#compare-from", str(newer))
    page.select_option("#compare-to", str(older))
    drawn = page.locator(
        "#compare-result table.fields tbody tr td:first-child code"
    ).all_inner_texts()
    assert drawn == [entry[0] for entry in pairs[(older, newer)]] and drawn
    assert problems == []


# -- a made-up flow with what the demo lacks -------------------------------------------------

PATTERN = DEFAULT_SECRET_FIELD_PATTERN
MOMENTS = {
    1: "2026-01-01T00:00:00.000000Z",
    2: "2026-02-01T00:00:00.000000Z",
    3: "2026-03-01T00:00:00.000000Z",
}
NAMES = {("export", "e1"): "Orders", ("import", "i1"): "Invoices", ("import", "i2"): "Token refresh",
         ("connection", "c1"): "Shop", ("import", "i3"): "Lookup target"}  # fmt: skip


def _sql(lines: int, changed: int | None = None) -> str:
    return "\n".join(f"SELECT {'x' if i == changed else i} AS c{i} FROM t" for i in range(lines))


def _made_up_versions():
    flows = {
        1: {"name": "F", "lastModified": "a", "pageGenerators": [{"_exportId": "e1"}],
            "pageProcessors": [{"type": "import", "_importId": "i1"}, {"type": "import", "_importId": "i2"},
                               {"type": "import", "_importId": "i1"}]},
        2: {"name": "F", "lastModified": "b", "pageGenerators": [{"_exportId": "e1"}],
            "pageProcessors": [{"type": "import", "_importId": "i2"}, {"type": "import", "_importId": "i1"},
                               {"type": "import", "_importId": "i1", "proceedOnFailure": True}]},
        3: {"name": "F2", "pageGenerators": [{"_exportId": "e1"}],
            "pageProcessors": [{"type": "import", "_importId": "i1"}]},
    }  # fmt: skip
    export = {
        1: {"name": "Orders", "_connectionId": "c1", "lastModified": "1", "rdbms": {"query": _sql(300)},
            "body": "x" * 2500 + "tail", "ids": [1, 2, 3], "rows": [{"a": 1}, {"a": 2}],
            "mapping": {"fields": [{"generate": "A", "extract": "a"}, {"generate": "B", "extract": "b"},
                                   {"generate": "C", "extract": "c"}]},
            "lookups": [{"_importId": "i3", "name": "l"}]},
        2: {"name": "Orders", "_connectionId": "c1", "lastModified": "2", "rdbms": {"query": _sql(300, 40) + "\n"},
            "body": "x" * 2500 + "tail changed\nsecond line", "ids": [1, 3], "rows": [{"a": 1}, {"a": 5}, {"b": 1}],
            "mapping": {"fields": [{"generate": "C", "extract": "c"}, {"generate": "A", "extract": "a2"},
                                   {"generate": "D", "extract": "d"}]},
            "lookups": [{"_importId": "i3", "name": "l2"}], "many": {f"k{i}": i for i in range(150)}},
        3: {"name": "Orders renamed", "_connectionId": "c1", "rdbms": {"query": _sql(300, 250)},
            "body": "short", "ids": [], "rows": [],
            "mapping": {"fields": []}, "many": {f"k{i}": -i for i in range(150)}},
    }  # fmt: skip
    connection = {
        1: {"name": "Shop", "http": {"auth": {"token": {"token": "sekret-one", "headerName": "X"}, "password": "pass-word-value"}}},
        2: {"name": "Shop", "http": {"auth": {"token": {"token": "sekret-two", "headerName": "X"}, "password": "pass-word-value"}}},
        3: {"name": "Shop", "http": {"auth": {"token": {"token": "sekret-one", "headerName": "Y"}}}},
    }  # fmt: skip
    token_import = {
        1: {"name": "Token refresh", "url": "a"},
        2: {"name": "Token refresh", "url": "b"},
    }
    invoices = {n: {"name": "Invoices", "n": n, "script": _sql(20, n)} for n in (1, 2, 3)}
    found = {}
    for n, at in MOMENTS.items():
        found[("export", "e1", at)] = StepVersion(n, export[n]["name"], export[n])
        found[("connection", "c1", at)] = StepVersion(n, "Shop", connection[n])
        found[("import", "i1", at)] = StepVersion(n, "Invoices", invoices[n])
        if n in token_import:
            found[("import", "i2", at)] = StepVersion(n, "Token refresh", token_import[n])
    recent = [RecentVersion(n, MOMENTS[n], flows[n]) for n in (3, 2, 1)]
    return recent, found, flows


def _names(rtype: str, rid: str) -> str:
    return NAMES.get((rtype, rid), rid)


def test_a_made_up_flow_compares_in_the_page_as_in_python(browser_page):
    page, problems = browser_page
    recent, found, flows = _made_up_versions()
    volatile = tuple(DEFAULT_VOLATILE_FIELDS)
    configs = configs_data(recent, found, PATTERN, volatile, _names)
    carried = json.dumps(configs)
    assert (
        "sekret" not in carried and "pass-word" not in carried
    )  # secrets are told apart, never carried
    script = (Path(__file__).parents[2] / "reports" / "templates" / "_flow_compare.js").read_text()
    page.set_content(f"<script>{script}</script>")
    docs = {n: display_document(doc, PATTERN) for n, doc in flows.items()}
    kinds: set[str] = set()
    for newer, older in combinations(recent, 2):
        expected = compare_versions(older, newer, found, PATTERN, volatile, _names)
        got = page.evaluate(
            "([configs, docs, older, newer]) => flowCompare(configs, (n) => docs[n], older, newer)",
            [configs, {str(n): d for n, d in docs.items()}, older.number, newer.number],
        )
        assert got == expected, (older.number, newer.number)
        kinds.update(entry[1] for entry in expected)
    assert kinds == {"a", "r", "m", "v", "l", "x"}
    assert problems == []


def test_a_page_script_is_carried_without_indentation_and_comment_lines():
    source = '// why\nvar a = 1;\n  // how\n  var url = "http://x"; // kept: not a whole line\n\n'
    assert compact_script(source) == 'var a = 1;\nvar url = "http://x"; // kept: not a whole line'


def test_the_style_sheet_is_carried_without_comments_and_indentation():
    source = "/* why */\na { color: red; }\n/* a comment\n   over two lines */\n  .b { margin: 0; }\n\n"
    assert compact_style(source) == "a { color: red; }\n.b { margin: 0; }"
    sheet = (templates_dir() / "_style.css").read_text(encoding="utf-8")
    compacted = compact_style(sheet)
    assert "/*" not in compacted and len(compacted) < len(sheet)
    assert compacted.count("{") == sheet.count("{") and compacted.count("}") == sheet.count("}")
