"""The resource registry: which integrator.io resource types flowaudit versions, and what
every stage needs to know about each (how it is listed, what its id column is called, which
of its fields are volatile, how a flow refers to it).

The extractor lists `GET /v1/<api_path>` for every entry, the staging area names its files
after `listing`, the loader versions it, the public views `<listing>`, `<singular>_versions`
and `<listing>_as_of` are generated from it, and reports and doctor iterate over it. The
three names may differ: users are listed at `/v1/ashares`, are `resourceType` `user` in the
audit log and are the views `users` / `user_versions`. Adding a type is one entry here plus
the simulator's part (docs/architecture.md, "Adding a resource type")."""

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
    # The API collection when it is not `listing` (`ashares` for users).
    api_path: str | None = None
    # The views' word for one of them when it is not `name` (`access_token`).
    singular: str | None = None
    # The key under which flows, exports, imports and connections refer to one of these
    # anywhere in their documents (`_scriptId`): what attributes it to flows.
    ref_key: str | None = None
    # A field only the by-id GET returns (`content` of scripts), fetched when it may have
    # changed (docs/decisions.md, "Scripts' code").
    by_id_field: str | None = None
    # Fields never stored, not even masked (an API token's own value).
    never_stored: tuple[str, ...] = ()
    # Every change to it is security-relevant (view `security_changes`).
    security: bool = False
    # A token without access to it (403), or an API without it (404), leaves its listing
    # incomplete instead of failing the run (types flowaudit versions since issue 14).
    optional: bool = False
    # Where a document holds its name, first found wins (a share names its person).
    name_paths: tuple[str, ...] = ("name",)

    @property
    def path(self) -> str:
        """The API collection: `GET /v1/<path>` lists them, `/v1/<path>/<id>` reads one."""
        return self.api_path or self.listing

    @property
    def versions_view(self) -> str:
        return f"{self.singular or self.name}_versions"

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
    ResourceType(
        "script", "scripts", "script_id", "script", "scripts", ref_key="_scriptId",
        by_id_field="content", security=True, optional=True,
    ),
    ResourceType(
        "user", "users", "share_id", "user", "users", api_path="ashares",
        volatile_fields=("lastSignIn",), security=True, optional=True,
        name_paths=("sharedWithUser.name", "sharedWithUser.email"),
    ),
    ResourceType(
        "accesstoken", "access_tokens", "access_token_id", "API token", "API tokens",
        api_path="accesstokens", singular="access_token", never_stored=("token",),
        # When a token was last used moves with every request it makes.
        volatile_fields=("lastUsedAt",), security=True, optional=True,
    ),
    ResourceType(
        "lookupcache", "lookup_caches", "lookup_cache_id", "lookup cache", "lookup caches",
        api_path="lookupcaches", singular="lookup_cache", ref_key="_lookupCacheId",
        volatile_fields=("size", "sizeInMB", "draftExpiresAt"), optional=True,
    ),
    ResourceType(
        "filedefinition", "file_definitions", "file_definition_id", "file definition",
        "file definitions", api_path="filedefinitions", singular="file_definition",
        ref_key="_fileDefinitionId", optional=True,
    ),
    ResourceType(
        "iclient", "iclients", "iclient_id", "iClient", "iClients", api_path="iClients",
        ref_key="_iClientId", optional=True,
    ),
    ResourceType(
        "asynchelper", "async_helpers", "async_helper_id", "async helper", "async helpers",
        api_path="asynchelpers", singular="async_helper", ref_key="_asyncHelperId", optional=True,
    ),
    ResourceType("stack", "stacks", "stack_id", "stack", "stacks", ref_key="_stackId", optional=True),
)  # fmt: skip

BY_NAME: dict[str, ResourceType] = {t.name: t for t in RESOURCE_TYPES}
BY_LISTING: dict[str, ResourceType] = {t.listing: t for t in RESOURCE_TYPES}
BY_PATH: dict[str, ResourceType] = {t.path: t for t in RESOURCE_TYPES}
TYPE_NAMES: tuple[str, ...] = tuple(t.name for t in RESOURCE_TYPES)
LISTINGS: tuple[str, ...] = tuple(t.listing for t in RESOURCE_TYPES)
# The keys under which a flow names the resources it uses, and their types.
FLOW_STEP_KEYS: dict[str, str] = {
    t.flow_step_key: t.name for t in RESOURCE_TYPES if t.flow_step_key
}
# The keys under which documents refer to scripts, stacks, lookup caches..., and their types.
REF_KEYS: dict[str, str] = {t.ref_key: t.name for t in RESOURCE_TYPES if t.ref_key}
# The types whose documents hold such references (and whose references attribute to flows).
REFERRING_TYPES: tuple[str, ...] = ("flow", "export", "import", "connection")
SECURITY_TYPES: tuple[str, ...] = tuple(t.name for t in RESOURCE_TYPES if t.security)


def resource_type(name: str) -> ResourceType:
    """The entry for a type given by name (`flow`), listing (`flows`) or API path
    (`ashares`); KeyError if unknown."""
    found = BY_NAME.get(name) or BY_LISTING.get(name) or BY_PATH.get(name)
    if found is None:
        raise KeyError(name)
    return found
