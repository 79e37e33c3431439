"""Flow pages as a timeline, checked against the simulator's ground truth: each version says
who made it, how and its audit label (an unexplained one its interval), "configuration at
version N" holds the steps and connections as they were then (state_at), any two versions
compare, and steps link to their rows on the resources page."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from flowaudit.config import DEFAULT_VOLATILE_FIELDS, resolve_settings
from flowaudit.documents.volatility import volatile_fields_for
from flowaudit.pipeline import run_nightly
from flowaudit.report.display import flow_file_name
from flowaudit.report.filters import iso_when
from flowaudit.report.flow_configs import PAGE_LIMITS
from flowaudit.report.masking import MASK, mask_document
from flowaudit.simulate import SimulatedAccount
from tests.pipeline.helpers import query
from tests.report.compare_reference import python_compares
from tests.report.page_blocks import block_data

pytestmark = pytest.mark.slow
TOKEN = "timeline-token-1f2e"


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory):
    """Two nightly runs of a small account; between them a working day with silent changes."""
    tmp = tmp_path_factory.mktemp("timeline")
    account = SimulatedAccount.generate("small", seed=5, token=TOKEN)
    settings = resolve_settings({}, environ={
        "FLOWAUDIT_TOKEN": TOKEN, "FLOWAUDIT_DB": str(tmp / "a.duckdb"), "FLOWAUDIT_OUT": str(tmp / "reports"),
        "FLOWAUDIT_API_URL": account.base_url, "FLOWAUDIT_RATE": "100000"})  # fmt: skip
    run_nightly(settings, transport=account.async_transport())
    account.advance(hours=24, silent_changes=4)
    outcome = run_nightly(settings, transport=account.async_transport())
    assert outcome.error is None
    return account, settings, tmp / "reports" / "latest"


def page_of(latest: Path, flow_id: str) -> LexborHTMLParser:
    return LexborHTMLParser(
        (latest / "flows" / flow_file_name(flow_id)).read_text(encoding="utf-8")
    )


def configs(page: LexborHTMLParser) -> dict:
    return block_data(page, "flow-configs")


def test_each_version_names_its_author_source_and_label_and_an_unexplained_one_its_interval(nights):
    _account, settings, latest = nights
    unexplained = query(settings.db, """
        SELECT resource_id, version, strftime(changed_after, '%Y-%m-%dT%H:%M:%SZ'),
               strftime(changed_before, '%Y-%m-%dT%H:%M:%SZ')
        FROM resource_versions WHERE resource_type = 'flow' AND origin = 'unexplained'""")  # fmt: skip
    assert unexplained, "the day's silent changes touch a flow"
    for flow_id, version, after, before in unexplained:
        item = page_of(latest, flow_id).css_first(f'#versions li[data-version="{version}"]')
        assert item.css_first("[data-label]").attributes["data-label"] == "unexplained"
        when = item.css_first(".when").text()
        assert when.startswith(f"changed between {iso_when(after)} and {iso_when(before)}")
    audited = query(settings.db, """
        SELECT v.resource_id, v.version, v.user_name, v.user_email, v.source
        FROM resource_versions AS v WHERE v.resource_type = 'flow' AND v.event_id IS NOT NULL
          AND v.source IN ('ui', 'api') ORDER BY v.valid_from DESC LIMIT 20""")  # fmt: skip
    assert audited
    labels = {(r, v): set(ls) for r, v, ls in query(settings.db, """
        SELECT resource_id, version, list(DISTINCT label) FROM version_changes
        WHERE resource_type = 'flow' GROUP BY ALL""")}  # fmt: skip
    for flow_id, version, user, email, source in audited:
        item = page_of(latest, flow_id).css_first(f'#versions li[data-version="{version}"]')
        assert item.css_first(".author").text() == f"by {user}"
        assert item.css_first(".author").attributes["title"] == email
        assert item.css_first(".source").text() == f"({source.upper()})"
        changed = item.css_first(".changed")
        assert (
            changed is None or "lastModified" not in changed.text()
        )  # volatile: no reader's change
        shown = item.css_first("[data-label]")
        if labels.get((flow_id, version)):
            assert shown.attributes["data-label"] in labels[(flow_id, version)]


def _as_masked(value):
    """A page's step document with secrets told apart (`******** (2)`) masked as any other."""
    if isinstance(value, dict):
        return {k: _as_masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_masked(v) for v in value]
    return MASK if isinstance(value, str) and re.fullmatch(PAGE_LIMITS["told_apart"], value) else value


def _stripped(rtype: str, doc):
    return volatile_fields_for(rtype, DEFAULT_VOLATILE_FIELDS).strip(doc)


def _without_captured(shown: dict, real: dict) -> tuple[dict, dict]:
    """Both documents without the fields whose captured data flowaudit never stores."""
    removed = {
        k for k, v in shown.items() if isinstance(v, str) and v.startswith("[captured data removed")
    }
    return (
        {k: v for k, v in shown.items() if k not in removed},
        {k: v for k, v in real.items() if k not in removed},
    )


def test_configuration_at_version_n_holds_the_steps_as_the_simulator_had_them(nights):
    account, settings, latest = nights
    flows = query(
        settings.db,
        """
        SELECT flow_id FROM flow_versions GROUP BY ALL HAVING count(*) > 2 ORDER BY count(*) DESC, flow_id LIMIT 4""",
    )
    assert flows
    kinds = {"export": "exports", "import": "imports", "connection": "connections"}
    pattern = settings.secret_field_pattern
    checked = 0
    for (flow_id,) in flows:
        data = configs(page_of(latest, flow_id))
        starts = dict(
            query(
                settings.db,
                "SELECT version, valid_from FROM flow_versions WHERE flow_id = ?",
                [flow_id],
            )
        )
        for number in data["compared"]:
            truth = account.state_at(starts[number])
            parts = data["at"][str(number)]
            flow_doc = truth["flows"][flow_id]
            steps = {(p[0], p[1]) for p in parts if p[0] != "connection"}
            expected_steps = {(t, i) for t, i in _steps_of(flow_doc)}
            assert steps == expected_steps, (flow_id, number)
            for rtype, rid, _name, key in parts:
                real = truth[kinds[rtype]].get(rid)
                if key is None:
                    assert real is None, (rtype, rid, number)
                    continue
                shown, real = _without_captured(
                    _stripped(rtype, _as_masked(data["documents"][key])),
                    _stripped(rtype, mask_document(real, pattern)),
                )
                assert shown == real, (
                    flow_id,
                    number,
                    rtype,
                    rid,
                )
                checked += 1
    assert checked > 5


def _steps_of(flow_doc):
    from flowaudit.documents.steps import flow_steps

    return flow_steps(flow_doc)


def test_two_versions_compare_with_the_fields_each_change_made(nights):
    _account, settings, latest = nights
    (flow_id,) = query(
        settings.db,
        """
        SELECT flow_id FROM flow_versions GROUP BY ALL HAVING count(*) > 2 ORDER BY count(*) DESC, flow_id LIMIT 1""",
    )[0]
    page = page_of(latest, flow_id)
    data = configs(page)
    compared = data["compared"]
    # The page computes the compare (_flow_compare.js, held to Python's in
    # test_flow_compare_parity); the entries here are Python's, the reference.
    assert "pairs" not in data and "var flowCompare" in page.html
    pairs = python_compares(
        settings.db, settings.account, settings.secret_field_pattern, tuple(settings.volatile_fields)
    )[flow_id]
    assert len(pairs) == len(compared) * (len(compared) - 1) // 2
    assert page.css_first("select#compare-from") and page.css_first("select#compare-to")
    for newer, older in itertools.pairwise(compared):
        entries = pairs[(older, newer)]
        made = [path for (path,) in query(settings.db, """
            SELECT field_path FROM version_changes WHERE resource_type = 'flow' AND resource_id = ? AND version = ?
              AND field_path IS NOT NULL""", [flow_id, newer])]  # fmt: skip
        shown = [e[0] for e in entries]
        for path in made:
            top = path.split(".")[0].split("[")[0]
            assert any(p.startswith(f"flow.{top}") for p in shown), (newer, path, shown)
        # Never two whole blobs: a changed step list is shown entry by entry.
        assert not any(
            e[0] in ("flow.pageProcessors", "flow.pageGenerators") and e[1] == "m" for e in entries
        )


def test_steps_link_to_their_rows_on_the_resources_pages(nights):
    _account, settings, latest = nights
    (flow_id,) = query(settings.db, "SELECT flow_id FROM flows ORDER BY flow_id LIMIT 1")[0]
    steps = page_of(latest, flow_id).css("table.steps tr[data-step]")
    assert steps
    for row in steps:
        for link in row.css("a.step-link, a.connection-link"):
            target, _, anchor = link.attributes["href"].partition("#")
            assert target.startswith("../resources/"), target
            listed = LexborHTMLParser((latest / "flows" / target).read_text(encoding="utf-8"))
            assert anchor in {node.attributes["id"] for node in listed.css("tr[id]")}
        assert row.css_first("a.connection-link") is not None
    # resources.html links to every page of exports, imports and connections.
    index = LexborHTMLParser((latest / "resources.html").read_text(encoding="utf-8"))
    linked = {a.attributes["href"] for a in index.css("ul.resource-pages a")}
    assert linked == {f"resources/{p.name}" for p in (latest / "resources").glob("*.html")}


def test_a_type_with_many_resources_is_listed_on_pages_found_from_the_id_alone():
    from flowaudit.report.display import resource_page

    ids = [f"{n:024x}" for n in range(5_000)]
    pages = {rid: resource_page("export", rid, 5) for rid in ids}
    assert {resource_page("export", rid, 1) for rid in ids} == {"resources/export.html"}
    counts = sorted(list(pages.values()).count(f"resources/export-{part}.html") for part in range(1, 6))
    assert sum(counts) == 5_000 and counts[0] > 800 and counts[-1] < 1_200  # even, and stable:
    assert all(resource_page("export", rid, 5) == page for rid, page in pages.items())
