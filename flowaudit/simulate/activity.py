"""The people and systems who change an account: creating, cloning, editing, disabling and
deleting resources the way integrator.io users do, each change written through the Store
(so its audit record, or its absence for a silent change, follows by construction)."""

from __future__ import annotations

import random
from typing import Any

from flowaudit.simulate import catalog
from flowaudit.simulate.catalog import System
from flowaudit.simulate.clock import iso
from flowaudit.simulate.docpath import MISSING, get_path
from flowaudit.simulate.flow_ops import clone_flow
from flowaudit.simulate.store import Store, flow_step_ids

STEP_GAP_MS = 7_000  # a flow's new steps are saved a few seconds before the flow itself


class LiveSet:
    """Ids alive now, with O(1) add, remove and seeded random choice."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._where: dict[str, int] = {}

    def add(self, rid: str) -> None:
        if rid not in self._where:
            self._where[rid] = len(self.items)
            self.items.append(rid)

    def remove(self, rid: str) -> None:
        where = self._where.pop(rid, None)
        if where is None:
            return
        last = self.items.pop()
        if where < len(self.items):
            self.items[where] = last
            self._where[last] = where

    def __contains__(self, rid: str) -> bool:
        return rid in self._where

    def __len__(self) -> int:
        return len(self.items)

    def choice(self, rng: random.Random) -> str | None:
        return self.items[int(rng.random() * len(self.items))] if self.items else None


class Activity:
    """Makes plausible changes to one account's Store."""

    def __init__(self, store: Store, rng: random.Random, systems: list[System]):
        self.store = store
        self.rng = rng
        self.systems = systems
        self.live = {kind: LiveSet() for kind in store.current}
        self.connections_of_system: dict[str, list[str]] = {}
        self.system_of_connection: dict[str, System] = {}
        self.systems_of_integration: dict[str, list[System]] = {}
        self.steps_of_connection: dict[tuple[str, str], list[str]] = {}
        self.api_user = 0  # the owner of the API token

    def resync(self) -> None:
        """Rebuild the live sets from the store (the flow API may have changed it)."""
        for kind, live in self.live.items():
            fresh = LiveSet()
            for rid in self.store.sorted_ids[kind]:
                fresh.add(rid)
            self.live[kind] = fresh
            del live

    # --- who and how ---
    def ui_user(self) -> int:
        # A few people make most of the changes.
        return int(len(self.store.users) * self.rng.random() ** 2)

    def source_and_user(self, api_share: float = 0.3) -> tuple[str, int]:
        if self.rng.random() < api_share:
            return "api", self.api_user
        return "ui", self.ui_user()

    # --- creating ---
    def add_connection(self, ms: int, system: System, sandbox: bool) -> str:
        cid = self.store.ids.new(ms)
        self.store.create("connections", catalog.connection_doc(self.rng, cid, ms, system, sandbox),
                          ms, self.ui_user(), "ui")  # fmt: skip
        self.live["connections"].add(cid)
        self.connections_of_system.setdefault(system.name, []).append(cid)
        self.system_of_connection[cid] = system
        return cid

    def add_integration(self, ms: int, name: str, systems: list[System]) -> str:
        iid = self.store.ids.new(ms)
        self.store.create("integrations", catalog.integration_doc(iid, ms, name), ms, self.ui_user(), "ui")
        self.live["integrations"].add(iid)
        self.systems_of_integration[iid] = systems
        return iid

    def _connection(self, system: System) -> str:
        ids = [cid for cid in self.connections_of_system.get(system.name, ()) if cid in self.live["connections"]]
        # Production connections (made first) are used far more than sandbox ones.
        return ids[0] if len(ids) == 1 or self.rng.random() < 0.85 else ids[-1]

    def _shared_step(self, kind: str, connection_id: str) -> str | None:
        # A few random draws instead of a scan: the lists grow with the account.
        candidates = self.steps_of_connection.get((connection_id, kind), ())
        for _ in range(4 if candidates else 0):
            sid = candidates[int(self.rng.random() * len(candidates))]
            if sid in self.live[kind]:
                return sid
        return None

    def _new_step(self, kind: str, ms: int, system: System, connection_id: str | None, obj: str,
                  user: int, source: str, lookup: bool = False) -> str:  # fmt: skip
        sid = self.store.ids.new(ms)
        if kind == "exports":
            doc = catalog.export_doc(self.rng, sid, ms, system, connection_id, obj, lookup)
        else:
            doc = catalog.import_doc(self.rng, sid, ms, system, connection_id or "", obj)
        self.store.create(kind, doc, ms, user, source)
        self.live[kind].add(sid)
        if connection_id:
            self.steps_of_connection.setdefault((connection_id, kind), []).append(sid)
        return sid

    def add_flow(self, ms: int, shape: str, integration_id: str | None, source: str = "ui") -> str:
        """A new flow of the given shape (standard, router, legacy), with its steps."""
        rng = self.rng
        user = self.ui_user() if source == "ui" else self.api_user
        systems = self.systems_of_integration.get(integration_id or "", None) or rng.sample(self.systems, 2)
        src, dst = rng.sample(systems, 2) if len(systems) > 1 else (systems[0], systems[0])
        obj = rng.choice(catalog.OBJECTS)
        src_conn, dst_conn = self._connection(src), self._connection(dst)
        step_ms = ms - 4 * STEP_GAP_MS
        webhook = shape == "standard" and rng.random() < 0.08

        def export(lookup: bool = False) -> str:
            nonlocal step_ms
            if not lookup and not webhook and rng.random() < 0.12:
                shared = self._shared_step("exports", src_conn)
                if shared:
                    return shared
            step_ms += STEP_GAP_MS // 2
            conn = None if webhook and not lookup else (dst_conn if lookup else src_conn)
            return self._new_step("exports", step_ms, dst if lookup else src, conn, obj, user, source, lookup)

        def import_() -> str:
            nonlocal step_ms
            if rng.random() < 0.12:
                shared = self._shared_step("imports", dst_conn)
                if shared:
                    return shared
            step_ms += STEP_GAP_MS // 2
            return self._new_step("imports", step_ms, dst, dst_conn, obj, user, source)

        flow: dict[str, Any] = {"_id": "", "lastModified": iso(ms),
                                "name": catalog.flow_name(rng, obj, src, dst), "disabled": rng.random() < 0.08}  # fmt: skip
        if not webhook and rng.random() < 0.8:
            flow["schedule"] = catalog.cron(rng)
        if rng.random() < 0.85:
            flow["timezone"] = rng.choice(catalog.TIMEZONES)
        if integration_id:
            flow["_integrationId"] = integration_id
        flow["skipRetries"] = False
        if shape == "legacy":
            flow["_exportId"] = export()
            flow["_importId"] = import_()
        else:
            generators = [{"_exportId": export()}]
            if shape == "router":
                flow["pageGenerators"] = generators
                flow["routers"] = self._routers(export, import_)
            else:
                processors = []
                if rng.random() < 0.3:
                    processors.append(catalog.processor(rng, "export", export(lookup=True)))
                for _ in range(1 if rng.random() < 0.7 else 2):
                    processors.append(catalog.processor(rng, "import", import_()))
                flow["pageProcessors"] = processors
                flow["pageGenerators"] = generators
        if rng.random() < 0.25:
            flow["_flowGroupingId"] = None  # explicit null: later set, giving oldValue null
        flow["createdAt"] = iso(ms)
        flow["_id"] = self.store.ids.new(ms)
        self.store.create("flows", flow, ms, user, source)
        self.live["flows"].add(flow["_id"])
        return flow["_id"]

    def _routers(self, export, import_) -> list[dict]:
        rng = self.rng
        second_id = catalog.short_id(rng)
        two = rng.random() < 0.4
        branches = []
        for name in rng.sample(("US", "EU", "Canada", "Wholesale", "Retail", "Rückläufer", "Express"), 2):
            branches.append({"name": f"{name} records",
                             "pageProcessors": [catalog.processor(rng, "import", import_())],
                             **({"nextRouterId": second_id} if two else {})})  # fmt: skip
        routers = [{"id": catalog.short_id(rng), "routeRecordsTo": "first_matching_branch",
                    "routeRecordsUsing": "input_filters", "branches": branches}]  # fmt: skip
        if two:
            routers.append({"id": second_id, "routeRecordsTo": "all_matching_branches",
                            "routeRecordsUsing": "input_filters",
                            "branches": [{"name": "Notify", "pageProcessors": [catalog.processor(rng, "import", import_())]}]})  # fmt: skip
        return routers

    def clone(self, ms: int, flow_id: str, source: str = "ui") -> str:
        flow = self.store.current["flows"][flow_id]
        user = self.ui_user() if source == "ui" else self.api_user
        new = clone_flow(self.store, flow_id, name=f"Clone - {flow['name']}",
                         integration_id=flow.get("_integrationId"), connection_map={},
                         ms=ms, user=user, source=source)  # fmt: skip
        self.live["flows"].add(new["_id"])
        exports, imports = flow_step_ids(new)
        for kind, ids in (("exports", exports), ("imports", imports)):
            for sid in ids:
                self.live[kind].add(sid)
        return new["_id"]

    def delete_flow(self, ms: int, flow_id: str, source: str = "ui") -> list[str]:
        """Delete a flow; usually its steps too, when no other flow uses them."""
        user = self.ui_user() if source == "ui" else self.api_user
        flow = self.store.delete("flows", flow_id, ms, user, source)
        self.live["flows"].remove(flow_id)
        deleted = [flow_id]
        if self.rng.random() < 0.75:
            exports, imports = flow_step_ids(flow)
            for kind, ids in (("exports", exports), ("imports", imports)):
                for sid in ids:
                    if sid in self.live[kind] and not self.store.flows_of_step(sid):
                        ms += 1500
                        self.store.delete(kind, sid, ms, user, source)
                        self.live[kind].remove(sid)
                        deleted.append(sid)
        return deleted

    def run(self, ms: int, flow_id: str) -> bool:
        flow = self.store.current["flows"].get(flow_id)
        if flow is None or flow.get("disabled"):
            return False
        self.store.touch("flows", flow_id, "lastExecutedAt", iso(ms), ms)
        return True

    # --- editing ---
    def edit(self, ms: int, kind: str, rid: str, *, audited: bool = True, what: str | None = None,
             source: str | None = None) -> tuple:  # fmt: skip
        """One plausible edit of a resource; returns the (path, old, new) changes made."""
        doc = self.store.current[kind][rid]
        if source is None:
            source, user = self.source_and_user()
        else:
            user = self.api_user if source == "api" else self.ui_user()
        changes, source = getattr(self, f"_edit_{kind}")(ms, doc, source, user, what)
        return self.store.update(kind, rid, changes, ms, user, source, audited=audited)

    def _pick(self, weights: dict[str, float], what: str | None) -> str:
        if what in weights:
            return what
        # random.choices recomputes its cumulative weights on every call; this is hot.
        roll = self.rng.random() * sum(weights.values())
        for name, weight in weights.items():
            roll -= weight
            if roll < 0:
                return name
        return name

    def _edit_flows(self, ms, flow, source, user, what):
        rng = self.rng
        legacy = "_exportId" in flow
        weights = {"disabled": 3, "schedule": 3, "name": 1, "description": 1, "timezone": 1,
                   "skipRetries": 1, "grouping": 0.5, "steps": 0 if legacy else 2.5,
                   "generators": 0 if legacy else 0.5}  # fmt: skip
        choice = self._pick(weights, what)
        if choice == "disabled":
            if flow["disabled"] and rng.random() < 0.25:
                source = "system"  # integrator.io re-enables a flow, e.g. after a connection fix
            return [("disabled", not flow["disabled"])], source
        if choice == "schedule":
            if "schedule" in flow and rng.random() < 0.1:
                changes: list = [("schedule", MISSING)]
            else:
                changes = [("schedule", catalog.cron(rng))]
            if rng.random() < 0.2:
                changes.append(("timezone", rng.choice(catalog.TIMEZONES)))
            return changes, source
        if choice == "name":
            base = flow["name"].removesuffix(" (old)").removesuffix(" v2")
            renamed = base + rng.choice((" v2", " (old)"))
            return [("name", renamed if renamed != flow["name"] else base)], source
        if choice == "description":
            notes = ("Runs nightly; see runbook.", "Owner: finance team", "Paused during migration",
                     "Mappe les commandes vers SAP", "Übernimmt Kundenstammdaten")  # fmt: skip
            return [("description", rng.choice(notes))], source
        if choice == "timezone":
            return [("timezone", rng.choice(catalog.TIMEZONES))], source
        if choice == "skipRetries":
            return [("skipRetries", not flow.get("skipRetries", False))], source
        if choice == "grouping":
            value = None if flow.get("_flowGroupingId") else self.store.ids.new(ms)
            return [("_flowGroupingId", value)], source
        if choice == "generators":
            generators = [dict(g) for g in flow["pageGenerators"]]
            if "schedule" in generators[0] and rng.random() < 0.5:
                generators[0]["skipRetries"] = not generators[0].get("skipRetries", False)
            else:
                generators[0]["schedule"] = catalog.cron(rng)
            return [("pageGenerators", generators)], source
        if "routers" in flow:
            return [("routers", self._edited_routers(ms, flow, source, user))], source
        return [("pageProcessors", self._edited_processors(ms, flow, source, user))], source

    def _step_system(self, kind: str, step_id: str) -> tuple[System, str] | None:
        step = self.store.get(kind, step_id)
        if step is None or not step.get("_connectionId"):
            return None
        cid = step["_connectionId"]
        return self.system_of_connection.get(cid, self.systems[0]), cid

    def _edited_processors(self, ms, flow, source, user) -> list[dict]:
        rng = self.rng
        processors = list(flow["pageProcessors"])
        action = rng.randrange(4)
        if (action == 0 and len(processors) < 3) or (len(processors) == 1 and rng.random() < 0.5):
            last_import = next((p["_importId"] for p in reversed(processors) if p.get("type") == "import"), None)
            found = self._step_system("imports", last_import) if last_import else None
            if found:
                system, cid = found
                sid = self._new_step("imports", ms - STEP_GAP_MS, system, cid, rng.choice(catalog.OBJECTS), user, source)
                processors.append(catalog.processor(rng, "import", sid))
                return processors
            action = 1
        if action == 1 and len(processors) > 1:
            processors.pop(rng.randrange(len(processors)))
        elif action == 2 and len(processors) > 1:
            processors[0], processors[1] = processors[1], processors[0]
        else:
            index = rng.randrange(len(processors))
            entry = dict(processors[index])
            entry["proceedOnFailure"] = not entry.get("proceedOnFailure", False)
            processors[index] = entry
        return processors

    def _edited_routers(self, ms, flow, source, user) -> list[dict]:
        rng = self.rng
        routers = [dict(r) for r in flow["routers"]]
        router = routers[0]
        branches = [dict(b) for b in router["branches"]]
        index = rng.randrange(len(branches))
        if rng.random() < 0.5:
            branches[index]["name"] = rng.choice(("US records", "EU records", "Großkunden", "Priority", "Other"))
        else:
            processors = list(branches[index].get("pageProcessors") or ())
            found = self._step_system("imports", processors[0]["_importId"]) if processors and processors[0].get("_importId") else None
            if found and len(processors) < 3:
                system, cid = found
                sid = self._new_step("imports", ms - STEP_GAP_MS, system, cid, rng.choice(catalog.OBJECTS), user, source)
                processors.append(catalog.processor(rng, "import", sid))
            elif len(processors) > 1:
                processors.pop()
            branches[index]["pageProcessors"] = processors
        router["branches"] = branches
        return routers

    def _edit_exports(self, ms, export, source, user, what):
        rng = self.rng
        choice = self._pick({"query": 3, "name": 1, "pageSize": 1}, what)
        if choice == "name":
            return [("name", export["name"] + rng.choice((" (v2)", " - neu", " copie")))], source
        if choice == "pageSize":
            if "pageSize" in export and rng.random() < 0.3:
                return [("pageSize", MISSING)], source
            return [("pageSize", rng.choice((20, 50, 100, 200, 500)))], source
        for path, values in (
            ("http.relativeURI", ("/api/v2/records?updated_since={{lastExportDateTime}}", "/admin/api/2024-07/orders.json?status=open", "/v3/customers?limit=250")),
            ("netsuite.restlet.searchId", ("customsearch_124", "customsearch_517", "customsearch_880")),
            ("salesforce.soql.query", ("SELECT Id, Name, Amount FROM Opportunity WHERE IsClosed = true", "SELECT Id, Email FROM Contact")),
            ("ftp.directoryPath", ("/outbound/archive", "/exports/daily", "/ausgang/bestellungen")),
            ("webhook.verify", ("token", "hmac")),
        ):  # fmt: skip
            if get_path(export, path) is not MISSING:
                return [(path, rng.choice(values))], source
        return [("name", export["name"] + " (v2)")], source

    def _edit_imports(self, ms, import_, source, user, what):
        rng = self.rng
        choice = self._pick({"mapping.fields": 4, "mapping.lists": 1, "name": 1, "target": 2,
                             "ignoreExisting": 1}, what)  # fmt: skip
        if choice == "mapping.fields":
            fields = list(get_path(import_, "mapping.fields") or ())
            action = rng.randrange(3)
            if action == 0 or not fields:
                fields.append({"extract": rng.choice(catalog.FIELD_NAMES), "generate": rng.choice(catalog.TARGET_FIELDS)})
            elif action == 1 and len(fields) > 1:
                fields.pop(rng.randrange(len(fields)))
            else:
                index = rng.randrange(len(fields))
                fields[index] = {"extract": rng.choice(catalog.FIELD_NAMES), "generate": fields[index]["generate"]}
            return [("mapping.fields", fields)], source
        if choice == "mapping.lists":
            lists = [] if get_path(import_, "mapping.lists") else [{"generate": "items", "fields": catalog.mapping_fields(rng, 2)}]
            return [("mapping.lists", lists)], source
        if choice == "name":
            return [("name", import_["name"] + rng.choice((" (v2)", " - neu", " copie")))], source
        if choice == "ignoreExisting":
            return [("ignoreExisting", not import_.get("ignoreExisting", False))], source
        for path, values in (
            ("http.relativeURI", (["/api/v2/orders"], ["/api/records/upsert"], ["/odata/SalesOrderSet"])),
            ("netsuite_da.operation", ("add", "update", "addupdate")),
            ("salesforce.operation", ("insert", "update", "upsert")),
            ("ftp.fileName", ("export-{{timestamp}}.csv", "bestellungen-{{date}}.csv")),
        ):  # fmt: skip
            if get_path(import_, path) is not MISSING:
                return [(path, rng.choice(values))], source
        return [("ignoreExisting", not import_.get("ignoreExisting", False))], source

    def _edit_connections(self, ms, connection, source, user, what):
        rng = self.rng
        choice = self._pick({"offline": 3, "name": 1, "setting": 1}, what)
        if choice == "offline":
            return [("offline", not connection.get("offline", False))], "system"
        if choice == "name":
            return [("name", connection["name"].removesuffix(" (alt)") + rng.choice((" (alt)", "")))], source
        for path, values in (
            ("http.baseURI", (connection.get("http", {}).get("baseURI", "") + "/v2",)),
            ("rest.baseURI", (connection.get("rest", {}).get("baseURI", "") + "/v2",)),
            ("netsuite.roleId", ("3", "1032", "1044")),
            ("salesforce.oauth2FlowType", ("refreshToken", "jwtBearer")),
            ("ftp.port", (22, 2222)),
        ):  # fmt: skip
            if get_path(connection, path) is not MISSING:
                return [(path, rng.choice(values))], source
        return [("name", connection["name"] + " (alt)")], source

    def _edit_integrations(self, ms, integration, source, user, what):
        rng = self.rng
        if self._pick({"readme": 2, "name": 1}, what) == "name":
            return [("name", integration["name"].removesuffix(" (legacy)") + rng.choice((" (legacy)", "")))], source
        readmes = ("Owner: IT integrations. Escalate to #celigo-alerts.",
                   "Synchronise les commandes Shopify vers NetSuite toutes les heures.",
                   "Bitte vor Änderungen das Change-Board informieren.")  # fmt: skip
        return [("readme", rng.choice(readmes))], source
