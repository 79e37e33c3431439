"""A small store written with literal SQL, its history then rebuilt as a load would: two
successful runs, a silent change, an audited change, a system change, a changed-and-changed-
back import, and hostile names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowaudit.config import DEFAULT_VOLATILE_FIELDS
from flowaudit.load.db import connect
from flowaudit.load.migrations import migrate
from flowaudit.load.versions import Hashers, rebuild_all, refresh_derived

HOSTILE = "<script>alert(1)</script>"
I1, F1, F2, E1, M1, C1 = "i" * 24, "f" * 24, "a" * 24, "e" * 24, "b" * 24, "c" * 24


def _doc(**fields):
    return json.dumps(fields)


def build_store(path: Path) -> None:
    con = connect(path)
    migrate(con)
    runs = [
        (1, "2026-03-01 02:00:00", "succeeded", "full", None),
        (2, "2026-03-02 02:00:00", "succeeded", "incremental", "2026-03-01 01:00:00"),
        (3, "2026-03-03 02:00:00", "failed", "incremental", None),
    ]
    for run_id, at, status, mode, audit_from in runs:
        observed = at if status == "succeeded" else None
        con.execute(
            "INSERT INTO store.runs (run_id, account, started_at, finished_at, status, mode, observed_at, "
            "audit_from, audit_to, flowaudit_version, error) VALUES (?, 'default', ?, ?, ?, ?, ?, ?, ?, '0', ?)",
            [
                run_id,
                at,
                at,
                status,
                mode,
                observed,
                audit_from,
                observed,
                "API unreachable" if status == "failed" else None,
            ],
        )
    flow1_v1 = _doc(
        _id=F1,
        name=HOSTILE,
        _integrationId=I1,
        disabled=False,
        schedule="? 0 2 ? * *",
        pageGenerators=[{"_exportId": E1}],
        pageProcessors=[{"_importId": M1}],
    )
    flow1_v2 = _doc(
        _id=F1,
        name=HOSTILE,
        _integrationId=I1,
        disabled=True,
        schedule="? 0 2 ? * *",
        pageGenerators=[{"_exportId": E1}],
        pageProcessors=[{"_importId": M1}],
    )
    flow2 = _doc(
        _id=F2,
        name="Invoices",
        _integrationId=I1,
        disabled=False,
        schedule="? 0 4 ? * *",
        pageGenerators=[{"_exportId": E1}],
        pageProcessors=[],
    )
    flow2_v2 = _doc(
        _id=F2,
        name="Invoices",
        _integrationId=I1,
        disabled=False,
        schedule="? 0 5 ? * *",
        pageGenerators=[{"_exportId": E1}],
        pageProcessors=[],
    )
    export_v1 = _doc(_id=E1, name="Get orders", http={"method": "GET", "relativeURI": "/orders"})
    export_v2 = _doc(
        _id=E1, name="Get orders", http={"method": "GET", "relativeURI": "/orders?all=1"}
    )
    imp = _doc(_id=M1, name="Put orders", http={"method": "POST"})
    conn = _doc(
        _id=C1, name="Shop", rest={"bearerToken": "SECRET-TOKEN-VALUE", "baseURI": "https://shop"}
    )
    integ = _doc(_id=I1, name="Shop sync")
    # What each run listed: (type, id, first seen, last seen, document, first run, last run).
    R1, R2 = "2026-03-01 02:00:00", "2026-03-02 02:00:00"
    observations = [
        ("integration", I1, R1, R2, integ, 1, 2),
        ("connection", C1, R1, R2, conn, 1, 2),
        ("flow", F1, R1, R1, flow1_v1, 1, 1),
        ("flow", F1, R2, R2, flow1_v2, 2, 2),
        ("flow", F2, R1, R1, flow2, 1, 1),
        ("flow", F2, R2, R2, flow2_v2, 2, 2),
        ("export", E1, R1, R1, export_v1, 1, 1),
        ("export", E1, R2, R2, export_v2, 2, 2),
        ("import", M1, R1, R2, imp, 1, 2),
    ]
    for rtype, rid, first, last, doc, first_run, last_run in observations:
        con.execute(
            "INSERT INTO store.observations VALUES ('default', ?, ?, ?, ?, ?, ?, md5(?), NULL, NULL, ?)",
            [rtype, rid, first, last, first_run, last_run, doc, doc],
        )
        if last == R2:
            con.execute(
                "INSERT INTO store.latest_documents VALUES ('default', ?, ?, 2, ?, ?)",
                [rtype, rid, R2, doc],
            )
    for flow_id, rtype, rid in [(F1, "export", E1), (F1, "import", M1), (F2, "export", E1)]:
        con.execute(
            "INSERT INTO store.flow_steps VALUES ('default', ?, ?, ?)", [flow_id, rtype, rid]
        )
    audit = [
        # An audited change (flow 1 disabled) by a person with a hostile name.
        (
            "a1",
            "2026-03-01 10:00:00",
            "flow",
            F1,
            "ui",
            "update",
            HOSTILE,
            [("disabled", "false", "true")],
        ),
        # A system change (flow 2 schedule).
        (
            "s1",
            "2026-03-01 11:00:00",
            "flow",
            F2,
            "system",
            "update",
            "system",
            [("schedule", '"? 0 4 ? * *"', '"? 0 5 ? * *"')],
        ),
        # Changed and changed back: audited, not visible.
        (
            "b1",
            "2026-03-01 12:00:00",
            "import",
            M1,
            "api",
            "update",
            "Bob",
            [("http.method", '"POST"', '"PUT"')],
        ),
        (
            "b2",
            "2026-03-01 13:00:00",
            "import",
            M1,
            "api",
            "update",
            "Bob",
            [("http.method", '"PUT"', '"POST"')],
        ),
        # A secret in an audit value.
        (
            "t1",
            "2026-02-20 09:00:00",
            "connection",
            C1,
            "ui",
            "update",
            "Ann",
            [("rest.bearerToken", '"OLD-SECRET-VALUE"', '"SECRET-TOKEN-VALUE"')],
        ),
        # Before the window: flow 1 created.
        ("c0", "2026-02-01 00:00:00", "flow", F1, "ui", "create", "Ann", []),
    ]
    for event_id, time, rtype, rid, source, event, user, changes in audit:
        con.execute(
            "INSERT INTO store.audit_records (account, event_id, time, resource_type, resource_id, source, event, "
            "user_id, user_name, user_email, raw, first_run_id) VALUES ('default', ?, ?, ?, ?, ?, ?, 'u', ?, "
            "'x@example.com', '{}', 2)",
            [event_id, time, rtype, rid, source, event, user],
        )
        for position, (field_path, old, new) in enumerate(changes):
            con.execute(
                "INSERT INTO store.audit_field_changes VALUES ('default', ?, ?, ?, true, ?, true, ?)",
                [event_id, position, field_path, old, new],
            )
    # What a load does after writing observations and records.
    rebuild_all(con, path.parent, Hashers(DEFAULT_VOLATILE_FIELDS), account="default")
    refresh_derived(con, "default")
    con.close()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "flowaudit.duckdb"
    build_store(path)
    return path


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder `flowaudit demo --out DIR` fills, made once per test session (as a user would)."""
    import os
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("demo") / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWAUDIT_")}
    result = subprocess.run(
        [sys.executable, "-m", "flowaudit", "demo", "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path_factory.mktemp("demo-cwd"),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == out.resolve() / "reports" / "latest" / "index.html"
    return out


def observe_again(
    path: Path, at: str, run_id: int, changes: dict[tuple[str, str], dict] | None = None
) -> None:
    """A later successful run that lists every current resource, the ones in `changes` with
    those fields changed (no audit record explains them): its run row and observations,
    then the history rebuilt as a load would."""
    changes = changes or {}
    con = connect(path)
    try:
        con.execute(
            "INSERT INTO store.runs (run_id, account, started_at, finished_at, status, mode, observed_at, "
            "audit_to, flowaudit_version) VALUES (?, 'default', ?, ?, 'succeeded', 'incremental', ?, ?, '0')",
            [run_id, at, at, at, at],
        )
        con.execute(
            "UPDATE store.observations SET last_seen_at = ?, last_run_id = ? WHERE absent_at IS NULL "
            "AND (resource_type, resource_id, first_seen_at) IN (SELECT (resource_type, resource_id, "
            "max(first_seen_at)) FROM store.observations GROUP BY resource_type, resource_id) "
            "AND NOT list_contains(?, resource_id)",
            [at, run_id, [rid for _t, rid in changes]],
        )
        for (resource_type, resource_id), fields in changes.items():
            doc = con.execute(
                "SELECT json_merge_patch(doc, ?::JSON) FROM store.latest_documents WHERE resource_id = ?",
                [json.dumps(fields), resource_id],
            ).fetchall()[0][0]
            con.execute(
                "INSERT INTO store.observations VALUES ('default', ?, ?, ?, ?, ?, ?, md5(?), NULL, NULL, ?)",
                [resource_type, resource_id, at, at, run_id, run_id, doc, doc],
            )
            con.execute(
                "UPDATE store.latest_documents SET doc = ? WHERE resource_id = ?",
                [doc, resource_id],
            )
        con.execute("UPDATE store.latest_documents SET observed_at = ?, run_id = ?", [at, run_id])
        rebuild_all(con, path.parent, Hashers(DEFAULT_VOLATILE_FIELDS), account="default")
        refresh_derived(con, "default")
    finally:
        con.close()
