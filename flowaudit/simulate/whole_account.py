"""The whole account beyond flows, exports, imports, connections and integrations: scripts
(their code served by id only), users and API tokens, lookup caches, file definitions,
iClients, async helpers and stacks, captured payloads with personal data in exports and
imports, and the recycle bin. Every change goes through the Store, so audit records and
ground truth follow by construction.

Hooks into the rest of the simulator: `plan_history` adds its events to the year
generate_history makes, `plan_day` adds its events to advance(), `route` answers the
API paths that are not plain listings (the recycle bin), and `listing_bytes` serves a
listing's documents without what only the by-id GET returns. It draws from random
generators of its own, so the flows and their steps are made as before."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flowaudit import jsonfast
from flowaudit.documents.references import references
from flowaudit.documents.steps import flow_steps
from flowaudit.registry import BY_LISTING, BY_PATH
from flowaudit.simulate import access, account_resources, scripts
from flowaudit.simulate.captured import EXPORT_FIELDS, IMPORT_FIELDS, CapturedPayloads
from flowaudit.simulate.clock import DAY_MS, iso
from flowaudit.simulate.docpath import MISSING, get_path
from flowaudit.simulate.options import SizeProfile
from flowaudit.simulate.store import OP_DELETE

if TYPE_CHECKING:
    from flowaudit.simulate.activity import Activity
    from flowaudit.simulate.http_types import SimRequest, SimResponse

RECYCLE_BIN_PATH = "recycleBinTTL"
RECYCLE_BIN_DAYS = 30
# Kinds whose deleted resources integrator.io keeps in its recycle bin.
RECYCLABLE = ("integrations", "flows", "exports", "imports", "connections", "scripts",
              "lookup_caches", "file_definitions", "iclients", "async_helpers", "stacks")  # fmt: skip
OWNER = 0  # the account owner (users[0]) shares the account and makes the tokens
Event = Callable[["Activity", int], None]


@dataclass
class WholeAccount:
    """What the whole-account part of a simulated account remembers."""

    rng: random.Random
    advance_rng: random.Random
    captured: CapturedPayloads = field(init=False)
    tokens: access.TokenValues = field(default_factory=access.TokenValues)
    script_kind: dict[str, str] = field(default_factory=dict)  # script id -> its kind
    attached: dict[str, str] = field(default_factory=dict)  # script id -> kind of what uses it
    used_tokens: list[str] = field(default_factory=list)  # tokens whose use is recorded
    advancing: bool = False  # after generation: draw from advance_rng
    # What an access review must find, kept so by advance(): the share of the administrator
    # without MFA, the full-access token that never expires, the expiring personal token.
    review_targets: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.captured = CapturedPayloads(random.Random(self.rng.getrandbits(64)))

    def sensitive_strings(self) -> set[str]:
        """Every captured personal datum, session cookie and token value the simulator
        served or keeps, and each token's masked form: none may ever be stored."""
        values = set(self.captured.sensitive)
        for value in self.tokens.by_id.values():
            values.update((value, access.TokenValues.masked(value)))
        return values


def extras_of(activity: Activity) -> WholeAccount:
    return activity.extras  # type: ignore[attr-defined]


# -- counts by size -------------------------------------------------------------------------


def _scale(profile: SizeProfile) -> dict[str, int]:
    flows = profile.flows
    return {
        "scripts": max(10, flows // 16),
        "resources": 2 if flows <= 40 else 4 if flows <= 1000 else 8,
        "captured": max(12, flows // 8),
        "script_edits": max(12, flows // 12),
    }


# -- the year of history --------------------------------------------------------------------


def plan_history(activity: Activity, profile: SizeProfile, start_ms: int, now_ms: int,
                 at: Callable[[int, Event], None]) -> None:  # fmt: skip
    """Schedule the whole-account events of the generated year (at(ms, event)); in a
    shorter history, those that would fall after now are left out."""
    schedule = at

    def at(ms: int, event: Event) -> None:
        if start_ms <= ms < now_ms:
            schedule(ms, event)

    extras = extras_of(activity)
    rng = extras.rng
    counts = _scale(profile)
    span = now_ms - start_ms
    people = activity.store.users

    # Users: each person the account is shared with, early in the year.
    levels = ["administrator", "administrator", *(["manage", "monitor"] * len(people))]
    for index in range(1, len(people)):
        level = levels[index - 1]
        # The second administrator may sign in without MFA; so may some others.
        mfa = index != 2 and (level == "administrator" or rng.random() < 0.7)
        at(start_ms + DAY_MS + int(rng.random() * DAY_MS), _create_share(index, level, mfa))
        if index > 3 and rng.random() < 0.35:  # later limited to a few integrations
            at(start_ms + 40 * DAY_MS + int(rng.random() * 60 * DAY_MS), _limit_share(index))
    for _ in range(len(people) * 6):
        at(start_ms + 2 * DAY_MS + int(rng.random() * (span - 3 * DAY_MS)), _sign_in)

    def jittered(ms: int) -> int:  # never on a round instant (period boundaries are)
        return ms + 1 + int(rng.random() * 3_600_000)

    # Events dated back from now keep their order in a short history, after its first 10 days
    # (when the tokens they use exist).
    scale = min(1.0, max(span - 10 * DAY_MS, 0) / (100 * DAY_MS))

    def ago(days: float) -> int:
        return now_ms - int(days * DAY_MS * scale)

    # API tokens.
    at(jittered(start_ms + 5 * DAY_MS), _create_token("ERP nightly sync", full_access=True))
    at(jittered(start_ms + 20 * DAY_MS), _create_token("Old reporting job", full_access=True))
    at(jittered(start_ms + 200 * DAY_MS), _revoke_token("Old reporting job"))
    owner, colleague = (
        person["name"].split()[0] for person in (people[0], people[min(1, len(people) - 1)])
    )
    personal = _create_token(f"{owner}'s personal token", full_access=True, personal=True,
                             purge_at=now_ms + 9 * DAY_MS)  # fmt: skip
    at(jittered(ago(81)), personal)
    at(jittered(ago(60)), _create_token("Marketplace connector", full_access=False))
    # Someone pastes a token into a script, and another into an export's headers.
    at(jittered(ago(50)), _paste_tokens("ERP nightly sync", "Marketplace connector"))
    at(jittered(ago(20)), _create_token("Test token", full_access=False, used=False))
    recent = _create_token(f"{colleague}'s personal token", full_access=False, personal=True,
                           purge_at=now_ms + 80 * DAY_MS)  # fmt: skip
    at(jittered(ago(10)), recent)
    for _ in range(40):
        at(start_ms + 6 * DAY_MS + int(rng.random() * (span - 7 * DAY_MS)), _use_token)

    # Lookup caches, file definitions, iClients, async helpers and stacks.
    for kind in account_resources.KINDS:
        for index in range(counts["resources"]):
            ms = start_ms + 3 * DAY_MS + int(rng.random() * 30 * DAY_MS)
            at(ms, _create_resource(kind, index))
        for _ in range(counts["resources"]):
            at(
                start_ms + 40 * DAY_MS + int(rng.random() * (span - 41 * DAY_MS)),
                _edit_resource(kind),
            )

    # Scripts, each made for a step or flow that uses it right away; their code edited.
    kinds = [k for k, _f, _p in scripts.KINDS]
    for index in range(counts["scripts"]):
        ms = start_ms + 10 * DAY_MS + int((span - 12 * DAY_MS) * rng.random() ** 0.7)
        at(ms, _create_script(kinds[index % len(kinds)]))
    for _ in range(counts["script_edits"]):
        at(start_ms + 12 * DAY_MS + int(rng.random() * (span - 13 * DAY_MS)), _edit_script)
    # A script and a lookup cache deleted in the last month: the recycle bin keeps them.
    at(jittered(now_ms - 12 * DAY_MS), _delete_one("scripts"))
    at(jittered(now_ms - 5 * DAY_MS), _delete_one("lookup_caches"))

    # Connections' credentials changed now and then.
    for _ in range(max(3, counts["resources"])):
        at(start_ms + 30 * DAY_MS + int(rng.random() * (span - 31 * DAY_MS)), _rotate_credentials)

    # Captured payloads saved while building flows.
    for _ in range(counts["captured"]):
        at(start_ms + 5 * DAY_MS + int(rng.random() * (span - 6 * DAY_MS)), _capture)


def plan_day(activity: Activity, profile: SizeProfile, first_ms: int, last_ms: int, hours: float,
             add: Callable[[int, Event], None]) -> None:  # fmt: skip
    """Schedule the whole-account events of an advance(): code edits (at least one on a
    script a flow uses, in a working day), access changes, resampled payloads, sign-ins,
    token use, edits of the smaller collections; an expired personal token is purged."""
    extras = extras_of(activity)
    extras.advancing = True
    rng = extras.advance_rng
    scale = max(1.0, profile.flows / 40) * hours / 24

    def when() -> int:
        return first_ms + int(rng.random() * (last_ms - first_ms))

    # A few percent of the scripts have their code changed on a working day.
    per_day = 0.04 * len(activity.live["scripts"]) * hours / 24
    edits = max(1 if hours >= 12 else int(rng.random() < hours / 24), round(per_day))
    for index in range(edits):
        add(when(), _edit_used_script if index == 0 else _edit_script)
    if hours >= 12:
        # Access and the smaller collections change by the size of their own lists; new
        # samples are captured by the size of the account.
        people = len(activity.live["users"]) + len(activity.live["access_tokens"])
        for _ in range(max(1, round(0.05 * people))):
            add(when(), _change_access)
        for _ in range(max(1, round(scale / 2))):
            add(when(), _capture)
        smaller = sum(len(activity.live[kind]) for kind in account_resources.KINDS)
        for _ in range(max(1, round(0.05 * smaller))):
            add(when(), _edit_resource(rng.choice(account_resources.KINDS)))
    if hours >= 12 and rng.random() < 0.5:
        add(when(), _rotate_credentials)
    if hours >= 12 and rng.random() < 0.3:
        add(when(), _create_script(rng.choice([k for k, _f, _p in scripts.KINDS])))
    for _ in range(round(3 * scale)):
        add(when(), _sign_in)
        add(when(), _use_token)
    add(last_ms, _purge_expired_tokens)


# -- events ---------------------------------------------------------------------------------


def _create_share(index: int, level: str, mfa: bool) -> Event:
    def event(activity: Activity, ms: int) -> None:
        store = activity.store
        sid = store.ids.new(ms)
        doc = access.share_doc(sid, ms, store.users[index], access=level, mfa=mfa)
        store.create("users", doc, ms, OWNER, "ui")
        activity.live["users"].add(sid)
        if level == "administrator" and not mfa:
            extras_of(activity).review_targets.add(sid)

    return event


def _share_of(activity: Activity, index: int) -> str | None:
    person = activity.store.users[index]["_id"]
    for sid in activity.live["users"].items:
        if activity.store.current["users"][sid]["sharedWithUser"]["_id"] == person:
            return sid
    return None


def _limit_share(index: int) -> Event:
    def event(activity: Activity, ms: int) -> None:
        rng = extras_of(activity).rng
        sid = _share_of(activity, index)
        integrations = activity.live["integrations"].items
        if sid is None or not integrations:
            return
        chosen = sorted(rng.sample(integrations, min(len(integrations), rng.choice((1, 2)))))
        levels = [
            {"_integrationId": i, "accessLevel": rng.choice(("manage", "monitor"))} for i in chosen
        ]
        activity.store.update("users", sid, [("accessLevel", MISSING), ("integrationAccessLevel", levels)],
                              ms, OWNER, "ui")  # fmt: skip

    return event


def _sign_in(activity: Activity, ms: int) -> None:
    sid = activity.live["users"].choice(_rng(activity))
    if sid is not None:
        activity.store.touch("users", sid, "lastSignIn", iso(ms), ms)


def _create_token(name: str, *, full_access: bool, personal: bool = False, purge_at: int | None = None,
                  used: bool = True) -> Event:  # fmt: skip
    def event(activity: Activity, ms: int) -> None:
        extras = extras_of(activity)
        store = activity.store
        tid = store.ids.new(ms)
        scope = None
        if not full_access:
            rng = extras.rng
            scope = {
                "_connectionIds": sorted(rng.sample(activity.live["connections"].items,
                                                    min(2, len(activity.live["connections"])))),
                "_exportIds": sorted(rng.sample(activity.live["exports"].items, min(3, len(activity.live["exports"])))),
            }  # fmt: skip
        value = extras.tokens.new(extras.rng, tid)
        doc = access.token_doc(tid, ms, name, value, full_access=full_access, scope=scope,
                               personal=personal, purge_at_ms=purge_at)  # fmt: skip
        store.create("access_tokens", doc, ms, OWNER, "ui")
        activity.live["access_tokens"].add(tid)
        if used:
            extras.used_tokens.append(tid)
        if (full_access and purge_at is None and not personal) or (
            personal and purge_at is not None and full_access
        ):
            extras.review_targets.add(tid)

    return event


def _revoke_token(name: str) -> Event:
    def event(activity: Activity, ms: int) -> None:
        for tid in activity.live["access_tokens"].items:
            if activity.store.current["access_tokens"][tid]["name"] == name:
                activity.store.update("access_tokens", tid, [("revoked", True)], ms, OWNER, "ui")

    return event


def _paste_tokens(script_token: str, header_token: str) -> Event:
    """A script calling an API with a token written into its code, and an export sending
    another in a header of its own: values a client must mask before storing anything."""

    def event(activity: Activity, ms: int) -> None:
        extras = extras_of(activity)
        store = activity.store
        values = {store.current["access_tokens"][t]["name"]: extras.tokens.by_id[t]
                  for t in activity.live["access_tokens"].items}  # fmt: skip
        sid = store.ids.new(ms)
        doc = scripts.script_doc(extras.rng, sid, ms, "preMap")
        doc["name"] = "Look up prices in the ERP"
        doc["content"] = doc["content"].replace(
            "function preMap (options) {\n",
            "function preMap (options) {\n"
            f"  const request = {{ headers: {{ Authorization: 'Bearer {values[script_token]}' }} }};\n",
        )
        store.create("scripts", doc, ms, _ui_user(activity), "ui")
        activity.live["scripts"].add(sid)
        extras.script_kind[sid] = "preMap"
        for _ in range(20):
            rid = activity.live["imports"].choice(extras.rng)
            change = (
                scripts.attach_to_step(store.current["imports"][rid], "preMap", sid)
                if rid
                else None
            )
            if change is not None:
                store.update("imports", rid, [change], ms, _ui_user(activity), "ui")
                extras.attached[sid] = "imports"
                break
        for _ in range(20):
            rid = activity.live["exports"].choice(extras.rng)
            export = store.current["exports"][rid] if rid else {}
            if "http" in export:
                http = dict(export["http"])
                http["headers"] = [
                    {"name": "Authorization", "value": f"Bearer {values[header_token]}"}
                ]
                store.update("exports", rid, [("http", http)], ms, _ui_user(activity), "api")
                break

    return event


def _use_token(activity: Activity, ms: int) -> None:
    extras = extras_of(activity)
    alive = [t for t in extras.used_tokens if t in activity.live["access_tokens"]
             and not activity.store.current["access_tokens"][t].get("revoked")]  # fmt: skip
    if alive:
        tid = alive[int(_rng(activity).random() * len(alive))]
        activity.store.touch("access_tokens", tid, "lastUsedAt", iso(ms), ms)


def _purge_expired_tokens(activity: Activity, ms: int) -> None:
    for tid in list(activity.live["access_tokens"].items):
        purge = activity.store.current["access_tokens"][tid].get("autoPurgeAt")
        if purge is not None and purge <= iso(ms):
            activity.store.delete("access_tokens", tid, ms, OWNER, "system")
            activity.live["access_tokens"].remove(tid)


def _change_access(activity: Activity, ms: int) -> None:
    rng = _rng(activity)
    store = activity.store
    targets = extras_of(activity).review_targets
    if rng.random() < 0.6:
        sid = activity.live["users"].choice(rng)
        if sid is not None and sid not in targets:
            store.update(
                "users",
                sid,
                access.access_change(rng, store.current["users"][sid]),
                ms,
                OWNER,
                "ui",
            )
        return
    tid = activity.live["access_tokens"].choice(rng)
    if tid is not None and tid not in targets:
        store.update("access_tokens", tid, access.token_change(rng, store.current["access_tokens"][tid], ms),
                     ms, OWNER, "ui")  # fmt: skip


def _create_resource(kind: str, index: int) -> Event:
    def event(activity: Activity, ms: int) -> None:
        extras = extras_of(activity)
        store = activity.store
        rid = store.ids.new(ms)
        sample = extras.captured.payload("rawData") if kind == "file_definitions" else None
        doc = account_resources.resource_doc(extras.rng, kind, rid, ms, index, sample)
        store.create(kind, doc, ms, _ui_user(activity), "ui")
        activity.live[kind].add(rid)
        # Used at once from an export, import or connection.
        targets = ("connections",) if kind == "iclients" else ("imports", "exports")
        for target in targets:
            for _ in range(6):
                step_id = activity.live[target].choice(extras.rng)
                if step_id is None:
                    break
                change = account_resources.reference(kind, rid, store.current[target][step_id])
                if change is not None:
                    store.update(target, step_id, [change], ms, _ui_user(activity), "ui")
                    return

    return event


def _edit_resource(kind: str) -> Event:
    def event(activity: Activity, ms: int) -> None:
        rng = _rng(activity)
        rid = activity.live[kind].choice(rng)
        if rid is not None:
            change = account_resources.resource_change(rng, kind, activity.store.current[kind][rid])
            activity.store.update(kind, rid, change, ms, _ui_user(activity), "ui")
        if kind == "lookup_caches" and rid is not None:  # its size moves by itself (volatile)
            activity.store.touch(kind, rid, "sizeInMB", round(rng.random() * 4, 3), ms + 1)

    return event


def _create_script(kind: str) -> Event:
    def event(activity: Activity, ms: int) -> None:
        extras = extras_of(activity)
        store = activity.store
        rng = _rng(activity)
        sid = store.ids.new(ms)
        user = _ui_user(activity)
        store.create("scripts", scripts.script_doc(rng, sid, ms, kind), ms, user, "ui")
        activity.live["scripts"].add(sid)
        extras.script_kind[sid] = kind
        # Attached at once to a step or flow where that kind of script belongs.
        targets = ("flows",) if kind in ("branching", "postResponseMap") else ("exports", "imports")
        for _ in range(12):
            target = rng.choice(targets)
            rid = activity.live[target].choice(rng)
            if rid is None:
                continue
            doc = store.current[target][rid]
            change = (scripts.attach_to_flow(doc, kind, sid) if target == "flows"
                      else scripts.attach_to_step(doc, kind, sid))  # fmt: skip
            if change is not None:
                store.update(target, rid, [change], ms, user, "ui")
                extras.attached[sid] = target
                return

    return event


def _edit_used_script(activity: Activity, ms: int) -> None:
    """A code change of a script a live flow uses now, through its own document or one of
    its steps' (each working day has one): a script attached to a step no flow uses any
    more would change no flow page."""
    store = activity.store
    used: set[str] = set()
    for flow in store.current["flows"].values():
        docs = [flow] + [store.current[f"{t}s"].get(i) or {} for t, i in flow_steps(flow)]
        used.update(r.resource_id for doc in docs for r in references(doc) if r.resource_type == "script")
    live = [sid for sid in activity.live["scripts"].items if sid in used]
    if not live:
        _edit_script(activity, ms, used_only=True)
        return
    rng = _rng(activity)
    sid = live[int(rng.random() * len(live))]
    code = store.current["scripts"][sid].get("content", "")
    store.update("scripts", sid, [("content", scripts.edited_code(rng, code))], ms, _ui_user(activity), "ui")


def _edit_script(activity: Activity, ms: int, *, used_only: bool = False) -> None:
    extras = extras_of(activity)
    rng = _rng(activity)
    live = activity.live["scripts"]
    used = [sid for sid in live.items if sid in extras.attached]
    pool = used if used and (used_only or rng.random() < 0.8) else live.items
    if not pool:
        return
    sid = pool[int(rng.random() * len(pool))]
    code = activity.store.current["scripts"][sid].get("content", "")
    activity.store.update("scripts", sid, [("content", scripts.edited_code(rng, code))], ms,
                          _ui_user(activity), "ui")  # fmt: skip


def _delete_one(kind: str) -> Event:
    def event(activity: Activity, ms: int) -> None:
        live = activity.live[kind]
        unused = [rid for rid in live.items if rid not in extras_of(activity).attached]
        if unused:
            rid = unused[int(extras_of(activity).rng.random() * len(unused))]
            activity.store.delete(kind, rid, ms, _ui_user(activity), "ui")
            live.remove(rid)

    return event


# How a connection's credentials change, by its type: (field path, the values it takes).
_CREDENTIALS = {
    "http": ("http.auth.token.headerName", ("Authorization", "X-Api-Key")),
    "rest": ("rest.authType", ("token", "basic")),
    "ftp": ("ftp.username", ("celigo", "celigo-sync")),
    "salesforce": ("salesforce.oauth2FlowType", ("refreshToken", "jwtBearer")),
    "netsuite": ("netsuite.authType", ("token", "token-auto")),
}


def _rotate_credentials(activity: Activity, ms: int) -> None:
    rng = _rng(activity)
    cid = activity.live["connections"].choice(rng)
    if cid is None:
        return
    connection = activity.store.current["connections"][cid]
    path, values = _CREDENTIALS.get(connection.get("type", ""), _CREDENTIALS["ftp"])
    if get_path(connection, path) is MISSING:
        return
    value = values[1] if get_path(connection, path) == values[0] else values[0]
    activity.store.update("connections", cid, [(path, value)], ms, _ui_user(activity), "ui")


def _capture(activity: Activity, ms: int) -> None:
    extras = extras_of(activity)
    rng = _rng(activity)
    kind = rng.choice(("exports", "imports"))
    rid = activity.live[kind].choice(rng)
    if rid is None:
        return
    name = rng.choice(EXPORT_FIELDS if kind == "exports" else IMPORT_FIELDS)
    activity.store.update(
        kind, rid, [(name, extras.captured.payload(name))], ms, _ui_user(activity), "ui"
    )


def _rng(activity: Activity) -> random.Random:
    """The generator of the phase the account is in (the year's, then advance()'s)."""
    extras = extras_of(activity)
    return extras.advance_rng if extras.advancing else extras.rng


def _ui_user(activity: Activity) -> int:
    """Who makes a change in the UI, as Activity.ui_user picks (a few people make most of
    the changes), but drawn from this module's generator: a draw from the activity's own
    would shift every later flow, step and edit of the account."""
    return int(len(activity.store.users) * _rng(activity).random() ** 2)


# -- serving --------------------------------------------------------------------------------


def listing_bytes(store, kind: str, rid: str) -> bytes:
    """A document as a listing shows it: without what only the by-id GET returns."""
    field_name = BY_LISTING[kind].by_id_field
    if field_name is None:
        return store.doc_bytes(kind, rid)
    doc = store.current[kind][rid]
    return jsonfast.dumps({k: v for k, v in doc.items() if k != field_name})


def kind_of_path(path: str) -> str | None:
    """The store's kind for an API collection (`ashares` -> `users`), None if none."""
    entry = BY_PATH.get(path)
    return entry.listing if entry is not None else None


def recycle_bin_entries(store, now_ms: int) -> list[bytes]:
    """`{"model", "doc"}` of every resource deleted in the last 30 days, newest deletion
    first; doc is its last content with lastModified the time of deletion."""
    cutoff = now_ms - RECYCLE_BIN_DAYS * DAY_MS
    found: list[tuple[int, str, str]] = []
    for kind in RECYCLABLE:
        for rid, entries in store.truth[kind].items():
            when, op = entries[-1][0], entries[-1][1]
            if op == OP_DELETE and cutoff <= when <= now_ms and rid not in store.current[kind]:
                found.append((when, kind, rid))
    found.sort(key=lambda item: (-item[0], item[2]))
    out = []
    for when, kind, rid in found:
        doc = dict(store.version_at(kind, rid, when - 1) or {})
        doc["lastModified"] = iso(when)
        out.append(jsonfast.dumps({"model": BY_LISTING[kind].path, "doc": doc}))
    return out


def route(
    account, request: SimRequest, parts: list[str], params: dict[str, str]
) -> SimResponse | None:
    """GET /v1/recycleBinTTL (paged like a listing); None for any other path."""
    if parts != [RECYCLE_BIN_PATH]:
        return None
    from flowaudit.simulate import api  # the listing conventions live there

    api._allow(request.method, "GET")
    limit = api._limit(account, params)
    entries = recycle_bin_entries(account.store, account.now_ms)
    cursor = api._decode_cursor(params, "bin")
    start = int(cursor) if cursor is not None and cursor.isdigit() else 0
    page = entries[start : start + limit]
    extra = []
    if start + limit < len(entries):
        extra.append(
            api._link(account, request, params, api._encode_cursor("bin", str(start + limit)))
        )
    return api._json(200, b"[" + b",".join(page) + b"]", extra)
