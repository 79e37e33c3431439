"""The public schema: views and table macros from `queries/views/*.sql`, with their
descriptions stored in the database (COMMENT ON, and `store.schema_docs` for macros).

Each file creates one object and opens with its description, one source of truth:
    -- What the view holds (one or more lines).
    -- @param ts: what the parameter means          (macros only)
    -- @column name: what the column means (continued on lines that start `--   `)
Files run in name order (a numeric prefix orders dependencies). Objects in schema
`store` are internal helpers and need no column descriptions.

Files in `queries/views/each_type/` are templates: each is installed once per entry of the
resource registry (flowaudit.registry), with `{{type}}`, `{{listing}}`, `{{id_column}}`,
`{{title}}`, `{{plural_title}}` and `{{versions_view}}` replaced by that entry's values, unless a plain file
already creates the same object (a type whose view has columns of its own).

A database file is not trusted to hold the views this flowaudit installs: a copied file can
carry any SQL under their names, and `store.meta.views_digest` can lie too. So the
definitions DuckDB actually holds are compared with those the files produce in a fresh
in-memory database (`differing_objects`): a run reinstalls what differs, a reader refuses
the file (`check_public_schema`)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from flowaudit.assets import queries_dir, read_query
from flowaudit.errors import DatabaseError
from flowaudit.logs import get_logger
from flowaudit.registry import RESOURCE_TYPES, ResourceType

log = get_logger(__name__)
INSTALLED_SCHEMAS = ("main", "store")

VIEWS_FOLDER = "views"
TEMPLATES_FOLDER = "views/each_type"

_CREATE = re.compile(
    r"CREATE\s+OR\s+REPLACE\s+(?P<kind>VIEW|MACRO)\s+(?P<name>[A-Za-z_][\w.]*)", re.IGNORECASE
)
_TAG = re.compile(r"^@(?P<tag>column|param)\s+(?P<name>[A-Za-z_]\w*)\s*:\s*(?P<text>.*)$")


@dataclass
class ObjectDoc:
    """A public view or macro and the meaning of its parameters and columns."""

    name: str
    kind: str  # "view" or "macro"
    description: str
    params: list[tuple[str, str]] = field(default_factory=list)
    columns: list[tuple[str, str]] = field(default_factory=list)

    @property
    def internal(self) -> bool:
        return self.name.startswith("store.")


@dataclass
class ViewFile:
    file_name: str
    sql: str
    doc: ObjectDoc


def parse_view_file(file_name: str, sql: str) -> ViewFile:
    """Read the object name, kind and description block of one queries/views file."""
    created = _CREATE.search(sql)
    if created is None:
        raise ValueError(f"queries/views/{file_name}: no CREATE OR REPLACE VIEW|MACRO")
    description: list[str] = []
    params: list[tuple[str, str]] = []
    columns: list[tuple[str, str]] = []
    last_tagged: list[tuple[str, str]] | None = None
    for line in sql[: created.start()].splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            continue
        text = stripped[2:]
        tag = _TAG.match(text.strip())
        if tag:
            last_tagged = columns if tag["tag"] == "column" else params
            last_tagged.append((tag["name"], tag["text"].strip()))
        elif last_tagged is None:
            if text.strip():
                description.append(text.strip())
        elif text.startswith("   ") and text.strip():
            name, previous = last_tagged[-1]
            last_tagged[-1] = (name, f"{previous} {text.strip()}")
    if not description:
        raise ValueError(f"queries/views/{file_name}: no description at the top")
    doc = ObjectDoc(
        name=created["name"],
        kind=created["kind"].lower(),
        description=" ".join(description),
        params=params,
        columns=columns,
    )
    return ViewFile(file_name=file_name, sql=sql, doc=doc)


@cache
def view_files() -> tuple[ViewFile, ...]:
    """Every queries/views file, parsed (templates once per resource type), in the order
    they are installed."""
    folder = queries_dir() / VIEWS_FOLDER
    files = [
        parse_view_file(p.name, read_query(f"{VIEWS_FOLDER}/{p.name}"))
        for p in folder.glob("*.sql")
    ]
    written = {view.doc.name for view in files}
    for template in sorted((queries_dir() / TEMPLATES_FOLDER).glob("*.sql")):
        text = read_query(f"{TEMPLATES_FOLDER}/{template.name}")
        for entry in RESOURCE_TYPES:
            view = parse_view_file(
                f"{template.stem}.{entry.name}.sql", render_template(text, entry)
            )
            if view.doc.name not in written:
                files.append(view)
    return tuple(sorted(files, key=lambda view: view.file_name))


def render_template(text: str, entry: ResourceType) -> str:
    """A per-type view template with the registry entry's names filled in."""
    for key, value in (
        ("type", entry.name), ("listing", entry.listing), ("id_column", entry.id_column),
        ("title", entry.title), ("plural_title", entry.plural_title),
        ("versions_view", entry.versions_view),
    ):  # fmt: skip
        text = text.replace("{{" + key + "}}", value)
    return text


def views_digest() -> str:
    """Changes whenever any view file changes: the views are reinstalled then."""
    digest = hashlib.sha256()
    for view in view_files():
        digest.update(view.file_name.encode() + b"\0" + view.sql.encode() + b"\0")
    return digest.hexdigest()


def install_public_schema(
    con: duckdb.DuckDBPyConnection, *, force: bool = False, documented: bool = True
) -> bool:
    """(Re)create every view and macro and its comments unless already current; inside the
    caller's transaction. Returns whether anything was installed. documented: false leaves
    out the comments and schema_docs (a scratch database only read for its definitions)."""
    digest = views_digest()
    current = con.execute("SELECT value FROM store.meta WHERE key = 'views_digest'").fetchall()
    if current and current[0][0] == digest and not force:
        differing = differing_objects(con)
        if not differing:
            return False
        log.warning(
            "the database's views differ from this flowaudit's (%s): reinstalling them",
            _names(differing),
        )
        _drop_foreign(con, differing)
    con.execute("DELETE FROM store.schema_docs")
    for view in view_files():
        con.execute(view.sql)
        if documented:
            _document(con, view.doc)
    con.execute(
        "INSERT OR REPLACE INTO store.meta VALUES ('views_digest', $digest)", {"digest": digest}
    )
    return True


Definition = tuple[str, str, str, str]  # kind, schema, name, definition as DuckDB holds it


def installed_definitions(con: duckdb.DuckDBPyConnection) -> set[Definition]:
    """Every view and macro of the database's main and store schemas, as DuckDB holds it."""
    rows = con.execute(
        "SELECT 'view', schema_name, view_name, sql FROM duckdb_views() "
        "WHERE NOT internal AND database_name = current_database() AND schema_name IN $schemas "
        "UNION ALL "
        "SELECT 'macro', schema_name, function_name, "
        "function_type || '(' || parameters::VARCHAR || ') ' || coalesce(macro_definition, '') "
        "FROM duckdb_functions() WHERE function_type IN ('macro', 'table_macro') "
        "AND NOT internal AND database_name = current_database() AND schema_name IN $schemas",
        {"schemas": list(INSTALLED_SCHEMAS)},
    ).fetchall()
    return {tuple(row) for row in rows}


@cache
def expected_definitions() -> frozenset[Definition]:
    """What this flowaudit's migrations and views install, read back from a fresh in-memory
    database (so the comparison is with DuckDB's own rendering of the same files).

    Building that database takes a quarter of a second, paid by every command; so the
    result is kept in the user's cache folder (DEFINITIONS_CACHE), keyed by everything it
    depends on: this flowaudit's version and SQL files and DuckDB's version. The cache is
    this flowaudit's own output, never the database's: a database file cannot bring one."""
    key = _definitions_key()
    cached = _read_cached_definitions(key)
    if cached is not None:
        return cached
    found = _definitions_from_scratch()
    _write_cached_definitions(key, found)
    return found


def definitions_cache_path() -> Path:
    """$XDG_CACHE_HOME/flowaudit (else ~/.cache/flowaudit)/view-definitions.json."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flowaudit" / "view-definitions.json"


def _definitions_key() -> str:
    from flowaudit import __version__

    digest = hashlib.sha256(f"{__version__}\0{duckdb.__version__}\0".encode())
    root = queries_dir()
    for path in sorted(root.rglob("*.sql")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _read_cached_definitions(key: str) -> frozenset[Definition] | None:
    try:
        held = json.loads(definitions_cache_path().read_text(encoding="utf-8"))
        if held.get("key") != key:
            return None
        rows = held["definitions"]
        if not all(isinstance(row, list) and len(row) == 4 and all(isinstance(v, str) for v in row)
                   for row in rows):  # fmt: skip
            return None
        return frozenset(tuple(row) for row in rows)  # type: ignore[misc]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # none yet, unreadable or not ours: built again


def _write_cached_definitions(key: str, found: frozenset[Definition]) -> None:
    path = definitions_cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(json.dumps({"key": key, "definitions": sorted(found)}), encoding="utf-8")
            os.replace(temporary, path)  # whole or not at all, whoever writes at the same time
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as exc:  # a read-only home: the next command builds it again
        log.debug("view definitions not cached at %s: %s", path, exc.strerror or exc)


def _definitions_from_scratch() -> frozenset[Definition]:
    from flowaudit.load.migrations import migrate  # the migrations install this schema

    scratch = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    try:
        # Comments are not definitions: documenting every view would double the time (each
        # command that opens a database pays this once).
        migrate(scratch, announce=False, documented=False)
        return frozenset(installed_definitions(scratch))
    finally:
        scratch.close()


def differing_objects(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(kind, schema, name) of every object whose definition differs from this flowaudit's:
    one of its own changed or missing, an unknown one in schema store, or a macro in main
    named like a built-in function (it would replace the function in every query)."""
    expected = expected_definitions()
    installed = installed_definitions(con)
    ours = {(kind, schema, name) for kind, schema, name, _ in expected}
    builtins = _builtin_function_names(con)
    differing = {(kind, schema, name) for kind, schema, name, _ in expected ^ installed
                 if (kind, schema, name) in ours or schema == "store"
                 or (kind == "macro" and name in builtins)}  # fmt: skip
    return sorted(differing)


def _builtin_function_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE internal"
    ).fetchall()
    return {name for (name,) in rows}


def check_public_schema(con: duckdb.DuckDBPyConnection) -> None:
    """For readers: refuse a database whose views or macros are not this flowaudit's."""
    differing = differing_objects(con)
    if differing:
        raise DatabaseError(
            f"the database's views differ from what this flowaudit installs ({_names(differing)}): "
            "refusing to run SQL stored in the file; run `flowaudit extract` on it to reinstall "
            "them (and check where the file came from)"
        )


def _drop_foreign(con: duckdb.DuckDBPyConnection, differing: list[tuple[str, str, str]]) -> None:
    """Drop the differing objects that reinstalling would not replace."""
    ours = {(kind, schema, name) for kind, schema, name, _ in expected_definitions()}
    for kind, schema, name in differing:
        if (kind, schema, name) in ours:
            continue
        target = f'{schema}."{name}"'
        if kind == "view":
            con.execute(f"DROP VIEW IF EXISTS {target}")
        else:
            con.execute(f"DROP MACRO IF EXISTS {target}")
            con.execute(f"DROP MACRO TABLE IF EXISTS {target}")


def _names(objects: list[tuple[str, str, str]], limit: int = 5) -> str:
    shown = [name if schema == "main" else f"{schema}.{name}" for _, schema, name in objects]
    more = len(shown) - limit
    return ", ".join(shown[:limit]) + (f" and {more} more" if more > 0 else "")


def _document(con: duckdb.DuckDBPyConnection, doc: ObjectDoc) -> None:
    if doc.internal:
        return
    actual = _actual_columns(con, doc)
    documented = [name for name, _ in doc.columns]
    if actual != documented:
        raise ValueError(
            f"{doc.name}: documented columns {documented} differ from its columns {actual}"
        )
    # COMMENT ON takes no parameters: the text is quoted as a SQL string literal.
    target = "VIEW" if doc.kind == "view" else "MACRO TABLE"
    con.execute(f"COMMENT ON {target} {doc.name} IS {_literal(doc.description)}")
    rows = [(doc.name, doc.kind, "object", 0, None, doc.description)]
    for position, (name, text) in enumerate(doc.params, start=1):
        rows.append((doc.name, doc.kind, "parameter", position, name, text))
    for position, (name, text) in enumerate(doc.columns, start=1):
        if doc.kind == "view":
            con.execute(f'COMMENT ON COLUMN {doc.name}."{name}" IS {_literal(text)}')
        rows.append((doc.name, doc.kind, "column", position, name, text))
    con.executemany("INSERT INTO store.schema_docs VALUES (?, ?, ?, ?, ?, ?)", rows)


def _actual_columns(con: duckdb.DuckDBPyConnection, doc: ObjectDoc) -> list[str]:
    if doc.kind == "view":
        query = f"SELECT * FROM {doc.name} LIMIT 0"
    else:
        args = ", ".join("NULL" for _ in doc.params)
        query = f"SELECT * FROM {doc.name}({args}) LIMIT 0"
    return [column[0] for column in con.execute(query).description]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def describe_schema(con: duckdb.DuckDBPyConnection) -> list[ObjectDoc]:
    """Every public view and macro with its parameters and columns, read from the database."""
    docs: dict[str, ObjectDoc] = {}
    for name, kind, item, _pos, item_name, text in con.execute(
        "SELECT object_name, object_kind, item_kind, position, item_name, description "
        "FROM store.schema_docs ORDER BY object_name, item_kind, position"
    ).fetchall():
        doc = docs.setdefault(name, ObjectDoc(name=name, kind=kind, description=""))
        if item == "object":
            doc.description = text
        elif item == "parameter":
            doc.params.append((item_name, text))
        else:
            doc.columns.append((item_name, text))
    # Views: the catalog's own comments are what any DuckDB client shows; prefer them.
    for view_name, comment in con.execute(
        "SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal"
    ).fetchall():
        if view_name in docs and comment:
            docs[view_name].description = comment
    return [docs[name] for name in sorted(docs)]
