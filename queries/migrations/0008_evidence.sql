-- Evidence an auditor accepts (issue 12). Five additions:
-- 1. Tamper evidence: store.hash_chain holds one link per succeeded run (and one for this
--    migration on databases that already hold data): SHA-256 digests over what the run
--    loaded, chained to the account's previous link. store.history_seals holds the digest of
--    each resource's derived history as the link that rebuilt it left it.
--    flowaudit/audit_trail/chain.py writes them; `flowaudit verify` recomputes them.
-- 2. The change-process rules in force (store.rules), as settings gave them.
-- 3. Change requests imported from a ticket system (store.approvals).
-- 4. The drift register (store.drift_items): one item per unexplained difference.
-- 5. The API URL each run read (runs.api_url), for the evidence folder's coverage.json.

ALTER TABLE store.runs ADD COLUMN api_url VARCHAR;

-- One field of a sealed row: its length in bytes, a colon and its text ('-' for NULL), so
-- that no two different rows give the same text. Times are sealed as epoch microseconds
-- (their text depends on the session's time zone), JSON as its stored text. Never change
-- this macro: every stored digest was taken with it.
CREATE MACRO store.sealed(value) AS (
    CASE WHEN value IS NULL THEN '-'
         ELSE CAST(strlen(CAST(value AS VARCHAR)) AS VARCHAR) || ':' || CAST(value AS VARCHAR)
    END
);

CREATE TABLE store.hash_chain (
    account VARCHAR NOT NULL,
    link INTEGER NOT NULL,                -- 1, 2, ... per account
    kind VARCHAR NOT NULL CHECK (kind IN ('migration', 'run')),
    migration VARCHAR,                    -- kind 'migration': the migration that sealed
    first_run_id BIGINT,                  -- the runs whose loads the link seals
    last_run_id BIGINT,
    sealed_at TIMESTAMPTZ NOT NULL,
    hash_basis VARCHAR NOT NULL,          -- how observation hashes were taken (volatile fields)
    volatile_fields JSON NOT NULL,        -- the setting the history was derived with
    rehashed BOOLEAN NOT NULL,            -- observations were re-hashed by this link's load
    sections JSON NOT NULL,               -- {"audit_records": {"rows": n, "sha256": "..."}, ...}
    previous VARCHAR NOT NULL,            -- the previous link's hash (64 zeros for the first)
    hash VARCHAR NOT NULL                 -- sha256 of the link (flowaudit/audit_trail/chain.py)
);

CREATE TABLE store.history_seals (
    account VARCHAR NOT NULL,
    link INTEGER NOT NULL,
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    versions INTEGER NOT NULL,
    sha256 VARCHAR NOT NULL               -- over its versions, their changes and unexplained rows
);

CREATE TABLE store.rules (
    account VARCHAR NOT NULL,
    set_at TIMESTAMPTZ NOT NULL,          -- when a command first ran with this rule set
    business_days INTEGER[] NOT NULL,     -- ISO weekdays, 1 = Monday
    business_start_minute INTEGER NOT NULL,
    business_end_minute INTEGER NOT NULL, -- excluded
    business_timezone VARCHAR NOT NULL,
    freeze_windows STRUCT(label VARCHAR, first_day DATE, last_day DATE)[] NOT NULL,
    api_users VARCHAR[],                  -- NULL: anyone may change through the API
    ticket_required_integrations VARCHAR[] NOT NULL,
    ticket_required_types VARCHAR[] NOT NULL,
    emergency_review_hours DOUBLE NOT NULL,
    settings JSON NOT NULL                -- the settings as resolved (what `rules` shows)
);

CREATE TABLE store.approvals (
    account VARCHAR NOT NULL,
    ticket VARCHAR NOT NULL,
    approver VARCHAR NOT NULL,
    approved_at TIMESTAMPTZ NOT NULL,
    resource_id VARCHAR,                  -- exactly one of resource_id, flow_id, integration_id
    flow_id VARCHAR,
    integration_id VARCHAR,
    window_from TIMESTAMPTZ NOT NULL,     -- the changes it covers: [window_from, window_to)
    window_to TIMESTAMPTZ NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    imported_by VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    line INTEGER NOT NULL
);

CREATE TABLE store.drift_items (
    account VARCHAR NOT NULL,
    item INTEGER NOT NULL,                -- 1, 2, ... per account, in order of discovery
    fingerprint VARCHAR NOT NULL,         -- what the difference is (stable across rebuilds)
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    field_path VARCHAR,
    change VARCHAR NOT NULL,
    old_present BOOLEAN NOT NULL,
    old_value JSON,
    new_present BOOLEAN NOT NULL,
    new_value JSON,
    changed_after TIMESTAMPTZ NOT NULL,
    changed_before TIMESTAMPTZ NOT NULL,
    first_run_id BIGINT,                  -- the run whose load registered it
    current BOOLEAN NOT NULL,             -- still an unexplained change of the history
    reverted_at TIMESTAMPTZ,              -- the field returned to its earlier value then
    reverted_event_id VARCHAR,            -- ... by this audit record (NULL: unaudited)
    accepted_at TIMESTAMPTZ,
    accepted_by VARCHAR,
    note VARCHAR
);
