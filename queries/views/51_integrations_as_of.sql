-- Every integration of every account as it was at a moment: the version valid then
-- (valid_from <= ts < valid_to), one row per integration that existed at ts.
-- Example: SELECT * FROM integrations_as_of(TIMESTAMP '2026-01-31 12:00').
-- @param ts: The moment (TIMESTAMP, UTC).
-- @column account: The account label the run was given (--account; default 'default').
-- @column integration_id: The integration's integrator.io id.
-- @column name: The integration's name then.
-- @column version: The number of the version valid then (see integration_versions).
-- @column valid_from: When that version began (UTC).
-- @column valid_to: When it ended (UTC); NULL if it is still current.
-- @column origin: 'observed' or 'reconstructed' (see integration_versions).
-- @column doc: The integration document as it was then (JSON).
CREATE OR REPLACE MACRO integrations_as_of(ts) AS TABLE
SELECT
    account,
    integration_id,
    name,
    version,
    valid_from,
    valid_to,
    origin,
    doc
FROM integration_versions
WHERE valid_from <= ts AND (valid_to IS NULL OR valid_to > ts);
