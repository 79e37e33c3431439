-- Every flow of every account as it was at a moment: the version valid then
-- (valid_from <= ts < valid_to), one row per flow that existed at ts.
-- Example: SELECT * FROM flows_as_of(TIMESTAMPTZ '2026-01-31 12:00Z').
-- @param ts: The moment (TIMESTAMPTZ; a plain TIMESTAMP is read in the session's time
--    zone, which flowaudit sql sets to UTC).
-- @column account: The account label the run was given (--account; default 'default').
-- @column flow_id: The flow's integrator.io id.
-- @column name: The flow's name then.
-- @column integration_id: The integration the flow belonged to then.
-- @column disabled: Whether the flow was disabled then.
-- @column schedule: Its schedule then (Celigo 6-field cron).
-- @column timezone: The time zone of that schedule.
-- @column version: The number of the version valid then (see flow_versions).
-- @column valid_from: When that version began (UTC).
-- @column valid_to: When it ended (UTC); NULL if it is still current.
-- @column origin: How flowaudit knows that version (see resource_versions.origin).
-- @column event_id: The audit record that started that version; NULL when none did.
-- @column export_ids: The exports it used then, sorted.
-- @column import_ids: The imports it used then, sorted.
-- @column doc: The flow document as it was then (JSON).
CREATE OR REPLACE MACRO flows_as_of(ts) AS TABLE
SELECT
    account, flow_id, name, integration_id, disabled, schedule, timezone, version,
    valid_from, valid_to, origin, event_id, export_ids, import_ids, doc
FROM flow_versions
WHERE valid_from <= ts AND (valid_to IS NULL OR valid_to > ts);
