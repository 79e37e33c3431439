"""The runs of a simulated account's flows (`/v1/jobs`) and their open errors, as a pure
function of each flow's history: its schedules drive its runs, a little noise makes a few
runs err, and some changes break their flow for a while (the ground truth `breakages`).

Nothing is stored per run. Every write to a flow appends its run state (schedules, time
zone, steps, or None when it cannot run) to the flow's timeline; a day's runs are the
schedules' minutes in the states that held, each kept as one integer key
(`createdAt ms << 20 | flow index`) in a sorted array; everything else about a run comes
from a hash of its key. A change of a mapping (`mapping.*` of an import) or of a flow's
steps made by a person breaks the flows it touches with probability
`SimulatorOptions.breaking_share`: for a few hours to two days their runs err far more often."""

from __future__ import annotations

import bisect
import hashlib
import random
from array import array
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from flowaudit.simulate.clock import DAY_MS, HOUR_MS, iso
from flowaudit.simulate.schedule import utc_minutes
from flowaudit.simulate.store import (
    ROW_CHANGES,
    ROW_EVENT,
    ROW_ID,
    ROW_SOURCE,
    Store,
    flow_step_ids,
)

FLOW_BITS = 20  # a run's key: createdAt in ms, shifted, plus the flow's index
FLOW_MASK = (1 << FLOW_BITS) - 1
_MASK64 = (1 << 64) - 1
SKIPPED_PER_MILLE = 3  # scheduled runs that never happen
ERROR_PURGE_MS = 30 * DAY_MS  # integrator.io purges errors after about 30 days
_first = itemgetter(0)


@dataclass(frozen=True)
class RunState:
    """What decides when a flow runs and what its runs touch."""

    schedules: tuple[str, ...]
    zone: str | None
    integration_id: str | None
    steps: tuple[str, ...]  # its exports and imports, in order: where errors land


@dataclass(frozen=True)
class Breakage:
    """A change that made its flows fail for a while (ground truth)."""

    event_id: str
    resource_type: str
    resource_id: str
    flow_ids: tuple[str, ...]
    start_ms: int
    end_ms: int
    error_share: float  # the share of runs that err while it lasts
    step_id: str | None  # where the errors land (None: the flow's last step)

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id, "resourceType": self.resource_type,
            "_resourceId": self.resource_id, "flowIds": list(self.flow_ids),
            "from": iso(self.start_ms), "to": iso(self.end_ms), "errorShare": self.error_share,
        }  # fmt: skip


@dataclass(frozen=True)
class FlowProfile:
    """A flow's habits: how often its runs err by themselves, how much it moves, how long."""

    seed: int
    noise: float
    records: int
    duration_ms: int


class Run(NamedTuple):
    """Everything about one run as it ends (the API shows it unfinished before `ended`)."""

    key: int
    job_id: str
    flow_id: str
    integration_id: str | None
    created: int
    started: int
    ended: int
    status: str  # completed | failed | canceled
    num_success: int
    num_error: int
    num_ignore: int
    pages: int
    error_step: str | None
    resolved: int  # when its errors stop being open (resolved, or purged)


def run_state(doc: dict | None) -> RunState | None:
    """How a flow document runs; None when it never does (deleted, disabled, no schedule)."""
    if doc is None or doc.get("disabled"):
        return None
    schedules = [doc.get("schedule")]
    schedules += [g.get("schedule") for g in doc.get("pageGenerators") or () if isinstance(g, dict)]
    schedules = [s for s in schedules if isinstance(s, str) and s.strip()]
    if not schedules:
        return None
    exports, imports = flow_step_ids(doc)
    zone = doc.get("timezone") if isinstance(doc.get("timezone"), str) else None
    integration = doc.get("_integrationId") if isinstance(doc.get("_integrationId"), str) else None
    return RunState(tuple(dict.fromkeys(schedules)), zone, integration, tuple(exports + imports))


def mix(value: int) -> int:
    """splitmix64: a well-spread 64-bit hash of an integer."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def _fraction(value: int) -> float:
    return (value >> 11) / 9007199254740992.0  # [0, 1)


class JobBook:
    """The runs, open errors and breakages of one simulated account."""

    def __init__(self, store: Store, seed_text: str, *, breaking_share: float, retention_days: int,
                 time_resolution_ms: int):  # fmt: skip
        self.store = store
        self.seed_text = seed_text
        self.rng = random.Random(f"{seed_text}:breakages")
        self.breaking_share = breaking_share
        self.retention_ms = retention_days * DAY_MS
        self.resolution_ms = max(1, time_resolution_ms)
        self.flow_ids: list[str] = []
        self.index: dict[str, int] = {}
        self.profiles: list[FlowProfile] = []
        self.timelines: list[list[tuple[int, RunState | None]]] = []
        self.breakages: list[Breakage] = []
        self.breaks_of: dict[int, list[Breakage]] = {}
        self._days: dict[int, tuple[array, frozenset[int]]] = {}
        self._forced: tuple[float, float] | None = None
        self._open: tuple[int, dict[int, dict[str, int]], dict[int, int]] | None = None
        # Settled days: the documents of their ended runs, encoded (final once a run ends).
        self._encoded: dict[int, dict[int, bytes]] = {}

    # --- following the account's writes (Store.watchers) ---
    def written(self, kind: str, rid: str, ms: int, doc: dict | None, row: tuple | None) -> None:
        if kind == "flows":
            index = self._flow_index(rid)
            state = run_state(doc)
            timeline = self.timelines[index]
            if not timeline or timeline[-1][1] != state:
                timeline.append((ms, state))
                self._forget_from(ms)
        if row is not None and row[ROW_EVENT] == "update" and row[ROW_SOURCE] != "system":
            self._maybe_break(kind, rid, ms, row)

    def force_next_breakage(self, hours: float, error_share: float) -> None:
        """The next change that can break its flows will, for hours, at error_share."""
        self._forced = (hours, error_share)

    def _maybe_break(self, kind: str, rid: str, ms: int, row: tuple) -> None:
        paths = [change[0] for change in row[ROW_CHANGES]]
        if kind == "imports" and any(path.startswith("mapping") for path in paths):
            flows, step = tuple(self.store.flows_of_step(rid)), rid
        elif kind == "flows" and any(path in ("pageProcessors", "routers") for path in paths):
            flows, step = (rid,), None
        else:
            return
        if self._forced is not None:
            hours, share = self._forced
            self._forced = None
        elif self.breaking_share > 0 and self.rng.random() < self.breaking_share:
            hours, share = 4 + 44 * self.rng.random(), 0.4 + 0.5 * self.rng.random()
        else:
            return
        breakage = Breakage(row[ROW_ID], "flow" if kind == "flows" else "import", rid, flows, ms,
                            ms + int(hours * HOUR_MS), round(share, 3), step)  # fmt: skip
        self.breakages.append(breakage)
        for flow_id in flows:
            self.breaks_of.setdefault(self._flow_index(flow_id), []).append(breakage)
        self._forget_from(ms)

    def _flow_index(self, flow_id: str) -> int:
        index = self.index.get(flow_id)
        if index is None:
            index = self.index[flow_id] = len(self.flow_ids)
            self.flow_ids.append(flow_id)
            self.timelines.append([])
            self.profiles.append(self._profile(flow_id))
        return index

    def _profile(self, flow_id: str) -> FlowProfile:
        digest = hashlib.sha256(f"{self.seed_text}:{flow_id}".encode()).digest()
        seed = int.from_bytes(digest[:8], "big")
        a, b, c, d = (_fraction(mix(seed + n)) for n in range(1, 5))
        # Most flows rarely err by themselves; one in seventeen is noisy.
        noise = 0.0005 if a < 0.94 else 0.005 + 0.02 * b
        records = int(10 ** (0.5 + 2.8 * c))
        duration = int(2_000 + 600_000 * d**3)
        return FlowProfile(seed, noise, records, duration)

    def _forget_from(self, ms: int) -> None:
        """Drop what a write at ms may change: the days it falls in or before, and after."""
        first = ms // DAY_MS
        for day in [d for d in self._days if d >= first]:
            del self._days[day]
        for day in [d for d in self._encoded if d >= first]:
            del self._encoded[day]
        self._open = None

    def settle(self, now_ms: int, days: int = 2) -> None:
        """Make now what requests would otherwise make lazily: the runs of the last `days`
        days, their documents once ended, and the errors open at now_ms (the answers are the
        same either way). A real server stores a job when it runs; encoding a night's ~100k
        documents on request would bill the simulator's CPU to the client being measured."""
        settled = range(now_ms // DAY_MS - days + 1, now_ms // DAY_MS + 1)
        for day in [d for d in self._encoded if d not in settled]:
            del self._encoded[day]  # only the recent days: a month of them would be ~1 GB
        for day in settled:
            encoded = self._encoded.setdefault(day, {})
            for key in self.day(day)[0]:
                if key not in encoded:
                    run = self.run(key)
                    if run.ended <= now_ms:
                        encoded[key] = self.document_bytes(run, now_ms)
        self.open_errors(now_ms)

    def encoded(self, key: int, now_ms: int) -> bytes:
        """document_bytes of the run `key` at now_ms (from the settled days when ended there)."""
        cached = self._encoded.get((key >> FLOW_BITS) // DAY_MS)
        found = None if cached is None else cached.get(key)
        return found if found is not None else self.document_bytes(self.run(key), now_ms)

    # --- the runs of a day ---
    def day(self, day: int) -> tuple[array, frozenset[int]]:
        """(sorted keys of the runs created on a UTC day, the keys of those that err)."""
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = self._make_day(day)
        return found

    def _make_day(self, day: int) -> tuple[array, frozenset[int]]:
        # The hot loop of the simulator's jobs (a large account runs ~100k times a day):
        # one hash per scheduled minute gives the run's noise, delay and error roll.
        start, end = day * DAY_MS, (day + 1) * DAY_MS
        keys: list[int] = []
        errors: list[int] = []
        resolution = self.resolution_ms
        for index, timeline in enumerate(self.timelines):
            if not timeline or timeline[0][0] >= end:
                continue
            position = max(0, bisect.bisect_right(timeline, start, key=_first) - 1)
            profile = self.profiles[index]
            seed = profile.seed
            breaks = self.breaks_of.get(index)
            for at in range(position, len(timeline)):
                seg_from, state = timeline[at]
                if seg_from >= end:
                    break
                if state is None:
                    continue
                seg_to = timeline[at + 1][0] if at + 1 < len(timeline) else end
                for minute in utc_minutes(state.schedules, state.zone, day):
                    slot = start + minute * 60_000
                    if slot < seg_from or slot >= seg_to:
                        continue
                    h = mix(seed ^ slot)
                    if h % 1000 < SKIPPED_PER_MILLE:  # noise: a run that did not happen
                        continue
                    created = slot + _delay(h)
                    created -= created % resolution
                    key = created << FLOW_BITS | index
                    keys.append(key)
                    share = _share(profile.noise, breaks, created) if breaks else profile.noise
                    if _error_roll(h) < share:
                        errors.append(key)
        keys.sort()
        return array("q", keys), frozenset(errors)

    def keys_between(self, low_ms: int, high_ms: int):
        """Keys of runs created in [low_ms, high_ms], newest first."""
        if high_ms < low_ms:
            return
        for day in range(high_ms // DAY_MS, low_ms // DAY_MS - 1, -1):
            keys, _errors = self.day(day)
            top = bisect.bisect_right(keys, high_ms << FLOW_BITS | FLOW_MASK)
            bottom = bisect.bisect_left(keys, low_ms << FLOW_BITS)
            for position in range(top - 1, bottom - 1, -1):
                yield keys[position]

    # --- one run ---
    def run(self, key: int) -> Run:
        created, index = key >> FLOW_BITS, key & FLOW_MASK
        profile = self.profiles[index]
        state = self._state(index, created)
        # A run is created a few seconds after its scheduled minute: the same hash as
        # _make_day; two more give 16-bit draws for everything else (served ~100k times a night).
        slot_hash = mix(profile.seed ^ (created - created % 60_000))
        a, b = mix(slot_hash + 1), mix(slot_hash + 2)
        started = created + 150 + (a & 0xFFF) % 3_000
        ended = started + int(profile.duration_ms * (0.5 + 1.5 * _draw(a, 1)))
        records = int(profile.records * (0.3 + 1.4 * _draw(a, 2)))
        breaks = self.breaks_of.get(index)
        errs = _error_roll(slot_hash) < (_share(profile.noise, breaks, created) if breaks else profile.noise)
        status, num_error, num_success, resolved, error_step = "completed", 0, records, ended, None
        if errs:
            num_error = max(1, int(records * (0.02 + 0.5 * _draw(a, 3))))
            num_success = max(0, records - num_error)
            if _draw(b, 0) < 0.3:
                status, num_success = "failed", 0
            # Most errors are resolved within days; the rest stay open until purged.
            resolved = ended + (int(2 * HOUR_MS + 70 * HOUR_MS * _draw(b, 1)) if _draw(b, 2) < 0.6
                                else ERROR_PURGE_MS)  # fmt: skip
            steps = state.steps if state is not None else ()
            error_step = next((k.step_id for k in breaks or () if k.start_ms <= created < k.end_ms and k.step_id),
                              None) or (steps[(b >> 48) % len(steps)] if steps else None)  # fmt: skip
        elif _draw(b, 0) < 0.002:
            status, num_success = "canceled", records // 3
        num_ignore = records // 40 if _draw(b, 3) < 0.3 else 0
        job_id = f"{(created // 1000) & 0xFFFFFFFF:08x}{(a ^ b) & 0xFFFFFFFFFFFFFFFF:016x}"
        return Run(key, job_id, self.flow_ids[index], state.integration_id if state else None,
                   created, started, ended, status, num_success, num_error, num_ignore,
                   max(1, -(-(num_success + num_error + num_ignore) // 200)), error_step, resolved)  # fmt: skip

    def _state(self, index: int, ms: int) -> RunState | None:
        timeline = self.timelines[index]
        position = bisect.bisect_right(timeline, ms, key=_first) - 1
        # A run created seconds after its flow was disabled still ran as the flow was.
        while position >= 0 and timeline[position][1] is None:
            position -= 1
        return timeline[position][1] if position >= 0 else None

    def document_bytes(self, run: Run, now_ms: int) -> bytes:
        """The job as `/v1/jobs` shows it at now_ms (queued, running or ended), encoded:
        written straight from a template (every value is an id, a time or a number), since a
        night serves ~100k of them."""
        head = f'{{"_id":"{run.job_id}","type":"flow","_flowId":"{run.flow_id}"'
        if run.integration_id:
            head += f',"_integrationId":"{run.integration_id}"'
        if now_ms < run.started:
            body = ',"status":"queued","numSuccess":0,"numError":0,"numIgnore":0,"numPagesProcessed":0'
            modified = run.created
        elif now_ms < run.ended:
            done = (now_ms - run.started) / max(1, run.ended - run.started)
            body = (f',"status":"running","startedAt":"{_iso(run.started)}","numSuccess":{int(run.num_success * done)}'
                    f',"numError":{int(run.num_error * done)},"numIgnore":{int(run.num_ignore * done)}'
                    f',"numPagesProcessed":{int(run.pages * done)}')  # fmt: skip
            modified = now_ms
        else:
            body = (f',"status":"{run.status}","startedAt":"{_iso(run.started)}","endedAt":"{_iso(run.ended)}"'
                    f',"numSuccess":{run.num_success},"numError":{run.num_error},"numIgnore":{run.num_ignore}'
                    f',"numPagesProcessed":{run.pages}')  # fmt: skip
            modified = run.ended
        return f'{head}{body},"createdAt":"{_iso(run.created)}","lastModified":"{_iso(modified)}"}}'.encode()

    # --- open errors ---
    def open_errors(self, now_ms: int) -> tuple[dict[int, dict[str, int]], dict[int, int]]:
        """(flow index -> step id -> errors open at now_ms, flow index -> its last error's time)."""
        if self._open is not None and self._open[0] == now_ms:
            return self._open[1], self._open[2]
        open_now: dict[int, dict[str, int]] = {}
        last: dict[int, int] = {}
        for day in range((now_ms - ERROR_PURGE_MS) // DAY_MS, now_ms // DAY_MS + 1):
            for key in self.day(day)[1]:
                run = self.run(key)
                if run.ended > now_ms or run.ended < now_ms - ERROR_PURGE_MS:
                    continue
                index = key & FLOW_MASK
                last[index] = max(last.get(index, 0), run.ended)
                if now_ms < run.resolved and run.error_step:
                    steps = open_now.setdefault(index, {})
                    steps[run.error_step] = steps.get(run.error_step, 0) + run.num_error
        self._open = (now_ms, open_now, last)
        return open_now, last

    def open_error_runs(self, flow_id: str, step_id: str, now_ms: int) -> list[Run]:
        """The runs whose errors on a step are open at now_ms, oldest first."""
        index = self.index.get(flow_id)
        if index is None:
            return []
        found = []
        for day in range((now_ms - ERROR_PURGE_MS) // DAY_MS, now_ms // DAY_MS + 1):
            for key in sorted(k for k in self.day(day)[1] if k & FLOW_MASK == index):
                run = self.run(key)
                if run.ended <= now_ms < run.resolved and run.error_step == step_id:
                    found.append(run)
        return found


_CLOCK: list[str] = []  # "HH:MM:SS." for every second of a day, made on first use
_DAYS: dict[int, str] = {}


def _iso(ms: int) -> str:
    """clock.iso, for the hot path of serving jobs: four times per job."""
    if not _CLOCK:
        _CLOCK.extend(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}." for s in range(86_400))
    day, rest = divmod(ms, DAY_MS)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = iso(day * DAY_MS)[:11]
    return f"{prefix}{_CLOCK[rest // 1000]}{rest % 1000:03d}Z"


def _draw(h: int, part: int) -> float:
    """The part-th 16-bit slice of a hash as a fraction of 1 (parts 0 to 3)."""
    return ((h >> (16 * part)) & 0xFFFF) / 65536.0


def _delay(h: int) -> int:
    """ms from the scheduled minute to the job's creation (queueing)."""
    return 200 + (h >> 16) % 4_000


def _error_roll(h: int) -> float:
    """A run errs when this is below its flow's error share (bits apart from _delay's)."""
    return (h >> 40) / 16777216.0


def _share(noise: float, breaks: list[Breakage] | None, created: int) -> float:
    share = noise
    if breaks:
        for breakage in breaks:
            if breakage.start_ms <= created < breakage.end_ms and breakage.error_share > share:
                share = breakage.error_share
    return share
