"""The resource registry: which integrator.io resource types flowaudit versions, and what
every stage needs to know about each (how it is listed, what its id column is called, which
of its fields are volatile, how a flow refers to it).

The extractor lists `listing` for every entry, the staging area names its files after it,
the loader versions it, the public views `<plural>`, `<type>_versions` and
`<plural>_as_of` are generated from it, and reports and doctor iterate over it. Adding a
type is one entry here plus the simulator's part (docs/architecture.md, "Adding a resource
type")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceType:
    """One versioned resource type."""

    name: str  # as the audit log's `resourceType` says it, and `resource_type` in the store
    listing: str  # the API collection (`GET /v1/<listing>`) and the staging file's stem
    id_column: str  # how the public views call its id
    title: str  # a person's word for one of them
    plural_title: str
    # Fields of this type whose change alone is no new version (besides the setting's).
    volatile_fields: tuple[str, ...] = ()
    # The key under which a flow's steps name a resource of this type, if any.
    flow_step_key: str | None = None

    @property
    def versions_view(self) -> str:
        return f"{self.name}_versions"

    @property
    def current_view(self) -> str:
        return self.listing

    @property
    def as_of_macro(self) -> str:
        return f"{self.listing}_as_of"


RESOURCE_TYPES: tuple[ResourceType, ...] = (
    ResourceType(
        "integration", "integrations", "integration_id", "integration", "integrations",
        # Counters integrator.io keeps on the document; they move without anyone editing it.
        volatile_fields=(
            "numFlows", "numError", "numRegisteredConnections", "numOfflineConnections", "lastErrorAt",
        ),
    ),
    ResourceType(
        "flow", "flows", "flow_id", "flow", "flows",
        volatile_fields=("numOpenError", "lastErrorAt"),
    ),
    ResourceType("export", "exports", "export_id", "export", "exports", flow_step_key="_exportId"),
    ResourceType("import", "imports", "import_id", "import", "imports", flow_step_key="_importId"),
    ResourceType("connection", "connections", "connection_id", "connection", "connections"),
)  # fmt: skip

BY_NAME: dict[str, ResourceType] = {t.name: t for t in RESOURCE_TYPES}
BY_LISTING: dict[str, ResourceType] = {t.listing: t for t in RESOURCE_TYPES}
TYPE_NAMES: tuple[str, ...] = tuple(t.name for t in RESOURCE_TYPES)
LISTINGS: tuple[str, ...] = tuple(t.listing for t in RESOURCE_TYPES)
# The keys under which a flow names the resources it uses, and their types.
FLOW_STEP_KEYS: dict[str, str] = {
    t.flow_step_key: t.name for t in RESOURCE_TYPES if t.flow_step_key
}


def resource_type(name: str) -> ResourceType:
    """The entry for a type given by name (`flow`) or listing (`flows`); KeyError if unknown."""
    found = BY_NAME.get(name) or BY_LISTING.get(name)
    if found is None:
        raise KeyError(name)
    return found
