"""History is exact at every instant, checked against the simulator's ground truth
(`state_at`, `silent_change_log`): a medium account, a first run, then three nights with
silent changes. At every audited instant (the resource it touches, at it and just before),
at every run's observation time and just before, and at 200 random instants from a year
before the first run to the last, `resources_as_of` equals the truth on every non-volatile
field of every resource, and the id sets are equal; the only exceptions are resources with
a silent change inside a run interval, which appear in `unexplained_changes` with that
interval. `unexplained_changes` is exactly the silent change log. Every type of the registry
is checked (scripts with their code, users, API tokens, ...), the truth scrubbed the way
flowaudit scrubs what it reads (captured payloads replaced by their hash, secrets masked, a
token's value dropped); the recycle bin gives resources deleted in the last 30 days before
the first run their whole last configuration (origin observed, not audit)."""

from __future__ import annotations

import bisect
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flowaudit.config import DEFAULT_VOLATILE_FIELDS
from flowaudit.documents.scrub import Scrubber
from flowaudit.documents.volatility import volatile_fields_for
from flowaudit.registry import RESOURCE_TYPES
from flowaudit.simulate import SimulatedAccount
from flowaudit.simulate.clock import parse_filter_time
from tests.pipeline.helpers import extract, query

NIGHTS = 3
SILENT_PER_NIGHT = 3
SAMPLES = 200
KIND_OF = {entry.name: entry.listing for entry in RESOURCE_TYPES}


def _us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


class History:
    """The database's versions in memory: the version of any resource at any instant."""

    def __init__(self, db: Path):
        self.by_resource: dict[tuple[str, str], list[tuple]] = {}
        for rtype, rid, valid_from, valid_to, origin, doc in query(
            db,
            "SELECT resource_type, resource_id, valid_from, valid_to, origin, CAST(doc AS VARCHAR) "
            "FROM resource_versions ORDER BY resource_type, resource_id, version",
        ):
            self.by_resource.setdefault((rtype, rid), []).append(
                (
                    _us(valid_from),
                    None if valid_to is None else _us(valid_to),
                    origin,
                    _stable(rtype, json.loads(doc)),
                )
            )
        self.starts = {key: [v[0] for v in versions] for key, versions in self.by_resource.items()}

    def at(self, key: tuple[str, str], moment_us: int) -> tuple[str, dict] | None:
        versions = self.by_resource.get(key)
        if not versions:
            return None
        position = bisect.bisect_right(self.starts[key], moment_us) - 1
        while position >= 0:
            valid_from, valid_to, origin, doc = versions[position]
            if valid_to is not None and valid_to <= moment_us:
                return None
            if valid_from <= moment_us:
                return origin, doc
            position -= 1
        return None

    def present(self, rtype: str, moment_us: int) -> set[str]:
        return {rid for (t, rid) in self.keys_of(rtype) if self.at((t, rid), moment_us)}

    def keys_of(self, rtype: str) -> list[tuple[str, str]]:
        if not hasattr(self, "_keys"):
            self._keys: dict[str, list] = {}
            for key in self.by_resource:
                self._keys.setdefault(key[0], []).append(key)
        return self._keys.get(rtype, [])


_SCRUBBER = Scrubber()


def _stable(rtype: str, doc: dict) -> dict:
    return volatile_fields_for(rtype, DEFAULT_VOLATILE_FIELDS).strip(_SCRUBBER.document(doc, rtype))


_TRUTH: dict[
    int, tuple[dict, dict]
] = {}  # id(document) -> (document, stable): truth documents are shared


def _stable_truth(rtype: str, doc: dict) -> dict:
    cached = _TRUTH.get(id(doc))
    if cached is None or cached[0] is not doc:
        cached = _TRUTH[id(doc)] = (doc, _stable(rtype, doc))
    return cached[1]


def _agrees(rtype: str, ours: tuple[str, dict] | None, truth: dict | None) -> bool:
    """ours: (origin, stable document) from History; truth: the simulator's document."""
    if ours is None or truth is None:
        return ours is None and truth is None
    origin, mine = ours
    real = _stable_truth(rtype, truth)
    if origin == "audit":  # never observed: only what the records tell is known
        return _holds(real, mine)
    return mine == real


def _holds(real, partial) -> bool:
    """Whether every value partial names (objects walked key by key) is the real one."""
    if isinstance(partial, dict) and isinstance(real, dict):
        return all(key in real and _holds(real[key], value) for key, value in partial.items())
    return partial == real


@pytest.fixture(scope="module")
def three_nights(tmp_path_factory) -> tuple[SimulatedAccount, Path, list[int]]:
    account = SimulatedAccount.generate("medium", seed=5)
    db = tmp_path_factory.mktemp("exact") / "m.duckdb"
    extract(db, account, rate=100_000, concurrency=16)
    for _ in range(NIGHTS):
        account.advance(hours=24, silent_changes=SILENT_PER_NIGHT)
        extract(db, account, rate=100_000, concurrency=16)
    observed = [_us(t) for (t,) in query(db, "SELECT observed_at FROM runs ORDER BY run_id")]
    return account, db, observed


@pytest.fixture(scope="module")
def history(three_nights) -> History:
    return History(three_nights[1])


def _excused(db: Path) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """Resources with an unexplained change, and the intervals it may lie in."""
    excused: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for rtype, rid, after, before in query(
        db,
        "SELECT resource_type, resource_id, changed_after, changed_before FROM unexplained_changes",
    ):
        excused.setdefault((rtype, rid), []).append((_us(after), _us(before)))
    return excused


def _is_excused(excused, key, moment_us: int) -> bool:
    return any(after < moment_us <= before for after, before in excused.get(key, ()))


@pytest.mark.slow
def test_unexplained_changes_are_exactly_the_silent_changes(three_nights):
    account, db, _ = three_nights
    truth = {
        (change["resourceType"], change["_resourceId"], field["fieldPath"])
        for change in account.silent_change_log
        for field in change["fieldChanges"]
    }
    found = set(query(db, "SELECT resource_type, resource_id, field_path FROM unexplained_changes"))
    assert len(truth) >= NIGHTS * SILENT_PER_NIGHT - 1
    assert found == truth
    for change in account.silent_change_log:
        when = _us(datetime.fromisoformat(change["time"].replace("Z", "+00:00")))
        intervals = _excused(db)[(change["resourceType"], change["_resourceId"])]
        assert any(after < when <= before for after, before in intervals), change


@pytest.mark.slow
def test_every_audited_instant_matches_the_truth(three_nights, history):
    account, db, _ = three_nights
    excused = _excused(db)
    checked = 0
    for record in account.audit_records(include_expired=False):
        rtype, rid = record["resourceType"], record["_resourceId"]
        if rtype not in KIND_OF:
            continue
        ms = parse_filter_time(record["time"])
        for moment_ms in (ms, ms - 1):
            if _is_excused(excused, (rtype, rid), moment_ms * 1000):
                continue
            truth = account.store.version_at(KIND_OF[rtype], rid, moment_ms)
            ours = history.at((rtype, rid), moment_ms * 1000)
            assert _agrees(rtype, ours, truth), (record, moment_ms, ours, truth)
            checked += 1
    assert checked > 150_000


@pytest.mark.slow
def test_every_resource_matches_the_truth_at_runs_and_at_random_instants(three_nights, history):
    account, db, observed = three_nights
    excused = _excused(db)
    rng = random.Random(11)
    first, last = observed[0], observed[-1]
    year_before = first - 365 * 86_400_000_000
    instants = [rng.randrange(year_before, last) // 1000 * 1000 for _ in range(SAMPLES)]
    instants += [t for run in observed for t in (run, run - 1000)]
    for moment_us in instants:
        state = account.store.state_at(moment_us // 1000)  # the truth, without its JSON copy
        for entry in RESOURCE_TYPES:
            truth = state[entry.listing]
            ours = history.present(entry.name, moment_us)
            missing = {
                rid
                for rid in set(truth) ^ ours
                if not _is_excused(excused, (entry.name, rid), moment_us)
            }
            assert not missing, (entry.name, moment_us, sorted(missing)[:5])
            for rid, doc in truth.items():
                if _is_excused(excused, (entry.name, rid), moment_us):
                    continue
                assert _agrees(entry.name, history.at((entry.name, rid), moment_us), doc), (
                    entry.name,
                    rid,
                    moment_us,
                )


@pytest.mark.slow
def test_flows_as_of_in_sql_agrees_with_the_history(three_nights, history):
    _account, db, observed = three_nights
    moment = datetime.fromtimestamp(observed[1] / 1_000_000, UTC) + timedelta(hours=5)
    expected = history.present("flow", _us(moment))
    rows = query(db, "SELECT flow_id FROM flows_as_of(?)", [moment])
    assert {rid for (rid,) in rows} == expected


@pytest.mark.slow
def test_every_type_of_the_registry_is_versioned_and_in_resources_as_of(three_nights):
    account, db, observed = three_nights
    last = datetime.fromtimestamp(observed[-1] / 1_000_000, UTC) - timedelta(microseconds=1)
    state = account.state_at(last)
    for entry in RESOURCE_TYPES:
        (versions,) = query(db, f"SELECT count(*) FROM {entry.versions_view}")[0]
        assert versions >= len(state[entry.listing]) > 0, entry.name
        rows = query(
            db,
            "SELECT resource_id, CAST(doc AS VARCHAR) FROM resources_as_of(?) WHERE resource_type = ?",
            [last, entry.name],
        )
        assert {rid for rid, _ in rows} == set(state[entry.listing]), entry.name
        for rid, doc in rows:
            assert _stable(entry.name, json.loads(doc)) == _stable(entry.name, state[entry.listing][rid])
    scripts = query(db, "SELECT count(*) FROM scripts WHERE content IS NOT NULL")[0][0]
    assert scripts == len(state["scripts"])


@pytest.mark.slow
def test_the_recycle_bin_gives_the_last_configuration_of_what_was_deleted_before_the_first_run(three_nights):
    account, db, observed = three_nights
    first = observed[0] // 1000
    bin_window = (first - 30 * 86_400_000, first)
    deleted = [
        (record["resourceType"], record["_resourceId"])
        for record in account.audit_records()
        if record["event"] == "delete" and record["resourceType"] in KIND_OF
        and bin_window[0] <= parse_filter_time(record["time"]) < bin_window[1]
    ]
    assert deleted
    for rtype, rid in deleted:
        (origin,) = query(
            db,
            "SELECT origin FROM resource_versions WHERE resource_type = ? AND resource_id = ? "
            "ORDER BY version DESC LIMIT 1",
            [rtype, rid],
        )[0]
        assert origin == "observed", (rtype, rid)
