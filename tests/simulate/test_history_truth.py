"""The generated history is consistent: replaying audit fieldChanges backwards from today's
documents gives the ground-truth states captured while the history was made; same seed,
same bytes."""

from __future__ import annotations

import copy

import httpx
import pytest

from flowaudit.registry import RESOURCE_TYPES
from flowaudit.simulate import SimulatedAccount
from flowaudit.simulate.clock import parse_filter_time
from flowaudit.simulate.store import KIND_OF_TYPE, KINDS, replay_forward

VOLATILE = ("lastModified", "lastExecutedAt")
# Top-level fields a kind's documents change by themselves (the registry's volatile fields).
_OWN_VOLATILE = {t.listing: t.volatile_fields for t in RESOURCE_TYPES}
_ABSENT = object()


def _without_volatile(doc: dict | None, kind: str = "") -> dict | None:
    ignored = (*VOLATILE, *_OWN_VOLATILE.get(kind, ()))
    return None if doc is None else {k: v for k, v in doc.items() if k not in ignored}


def _set(doc: dict, path: str, value) -> None:
    keys = path.split(".")
    for key in keys[:-1]:
        doc = doc.setdefault(key, {})
    if value is _ABSENT:
        doc.pop(keys[-1], None)
    else:
        doc[keys[-1]] = copy.deepcopy(value)


def _undo(doc: dict, record: dict) -> None:
    for change in record["fieldChanges"]:
        _set(doc, change["fieldPath"], change.get("oldValue", _ABSENT))


def test_replaying_audit_backwards_gives_the_ground_truth(shared_account):
    store = shared_account.store
    records = shared_account.audit_records()  # newest first
    checked = 0
    for kind in KINDS:
        for current in shared_account.resources(kind):
            doc = copy.deepcopy(current)
            own = [r for r in records if r["_resourceId"] == current["_id"]]
            assert own[-1]["event"] == "create", "every resource's history starts with its creation"
            for record in own:
                ms = parse_filter_time(record["time"])
                truth = store.version_at(kind, current["_id"], ms)
                assert _without_volatile(doc, kind) == _without_volatile(truth, kind), record
                if record["event"] == "create":
                    assert store.version_at(kind, current["_id"], ms - 1) is None
                    break
                _undo(doc, record)
                checked += 1
    assert checked > 1000


def test_deleted_resources_existed_until_their_delete_record(shared_account):
    store = shared_account.store
    for record in shared_account.audit_records():
        if record["event"] == "delete":
            kind = KIND_OF_TYPE[record["resourceType"]]
            ms = parse_filter_time(record["time"])
            assert store.version_at(kind, record["_resourceId"], ms) is None
            before = store.version_at(kind, record["_resourceId"], ms - 1)
            assert before is not None and before["name"] == record["deletedInfo"]["name"]


def test_forward_replay_of_the_truth_matches_every_snapshot(shared_account):
    for kind in KINDS:
        for entries in shared_account.store.truth[kind].values():
            for ms, _op, _payload, snapshot in entries:
                assert replay_forward(entries, ms) == snapshot


def test_state_now_is_what_the_api_lists(shared_account):
    state = shared_account.state_at(shared_account.now)
    for kind in KINDS:
        assert list(state[kind].values()) == shared_account.resources(kind)


def _answers(account: SimulatedAccount) -> list[bytes]:
    with httpx.Client(transport=account.transport(), base_url=account.base_url,
                      headers={"Authorization": "Bearer demo"}) as c:  # fmt: skip
        bodies = []
        for path in ("/flows", "/exports", "/imports", "/connections", "/integrations"):
            bodies.append(c.get(path, params={"limit": 1000}).content)
        response = c.get("/audit", params={"limit": 1000})
        while True:
            bodies.append(response.content + response.headers.get("link", "").encode())
            if "next" not in response.links:
                return bodies
            response = c.get(response.links["next"]["url"])


def test_the_same_seed_gives_byte_identical_answers():
    first, second = SimulatedAccount.generate("small", seed=5), SimulatedAccount.generate("small", seed=5)
    assert _answers(first) == _answers(second)
    first.advance(hours=48, silent_changes=2)
    second.advance(hours=48, silent_changes=2)
    assert _answers(first) == _answers(second)


def test_another_seed_gives_another_account():
    assert _answers(SimulatedAccount.generate("small", seed=5)) != _answers(SimulatedAccount.generate("small", seed=6))


def test_flows_come_in_every_documented_shape(shared_account):
    flows = shared_account.resources("flows")
    assert any("pageGenerators" in f and "pageProcessors" in f for f in flows)
    routed = [f for f in flows if "routers" in f]
    assert routed and all("pageProcessors" in b for f in routed for r in f["routers"] for b in r["branches"])
    assert any("_exportId" in f and "_importId" in f and "pageGenerators" not in f for f in flows)
    assert any("_integrationId" not in f for f in flows)
    assert any("lastExecutedAt" in f for f in flows) and any("lastExecutedAt" not in f for f in flows)
    assert any(f["disabled"] for f in flows) and any(f.get("schedule", "").startswith("? ") for f in flows)
    assert any(not f["name"].isascii() for f in flows)
    imports = shared_account.resources("imports")
    assert all({"fields", "lists"} <= set(i["mapping"]) for i in imports)


def test_some_steps_are_shared_by_more_than_one_flow(shared_account):
    usage = shared_account.store.flows_using_step
    shared = [step for step, flows in usage.items() if len(flows) > 1]
    assert shared and len(shared) < len(usage) / 2


@pytest.mark.slow
def test_a_medium_account_has_its_size():
    account = SimulatedAccount.generate("medium", seed=1)
    summary = account.summary()
    assert 900 <= summary["flows"] <= 1100
    assert 85_000 <= summary["audit_records"] <= 115_000


_DIGEST = """
import hashlib, httpx
from flowaudit.registry import RESOURCE_TYPES
from flowaudit.simulate import SimulatedAccount
a = SimulatedAccount.generate("small", seed=4)
a.advance(hours=30, silent_changes=2)
c = httpx.Client(transport=a.transport(), base_url=a.base_url, headers={"Authorization": "Bearer demo"})
h = hashlib.sha256()
for p in ["/flows", "/exports", "/imports", "/connections", "/integrations", "/audit"]:
    h.update(c.get(p, params={"limit": 1000}).content)
print(h.hexdigest())
"""


def test_answers_do_not_depend_on_the_process_hash_seed():
    import os
    import subprocess
    import sys

    digests = {
        subprocess.run([sys.executable, "-c", _DIGEST], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1
