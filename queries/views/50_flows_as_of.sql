-- Every flow of every account as it was at a moment: the version valid then
-- (valid_from <= ts < valid_to), one row per flow that existed at ts.
-- Example: SELECT * FROM flows_as_of(TIMESTAMP '2026-01-31 12:00').
-- @param ts: The moment (TIMESTAMP, UTC).
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
-- @column origin: 'observed' or 'reconstructed' (see flow_versions).
-- @column doc: The flow document as it was then (JSON).
CREATE OR REPLACE MACRO flows_as_of(ts) AS TABLE
SELECT
    account,
    flow_id,
    name,
    doc ->> '$._integrationId' AS integration_id,
    TRY_CAST(doc ->> '$.disabled' AS BOOLEAN) AS disabled,
    doc ->> '$.schedule' AS schedule,
    doc ->> '$.timezone' AS timezone,
    version,
    valid_from,
    valid_to,
    origin,
    doc
FROM flow_versions
WHERE valid_from <= ts AND (valid_to IS NULL OR valid_to > ts);
