-- Every resource of every type as it was at a moment: the version valid then
-- (valid_from <= ts < valid_to), one row per resource that existed at ts.
-- Example: SELECT resource_type, count(*) FROM resources_as_of(TIMESTAMPTZ '2026-01-31 12:00Z') GROUP BY ALL.
-- @param ts: The moment (TIMESTAMPTZ; a plain TIMESTAMP is read in the session's time
--    zone, which flowaudit sql sets to UTC).
-- @column account: The account label the run was given (--account; default 'default').
-- @column resource_type: What kind of resource ('flow', 'export', ...).
-- @column resource_id: The resource's integrator.io id.
-- @column name: Its name then.
-- @column version: The number of the version valid then (see resource_versions).
-- @column valid_from: When that version began (UTC).
-- @column valid_to: When it ended (UTC); NULL if it is still current.
-- @column origin: How flowaudit knows that version (see resource_versions.origin).
-- @column event_id: The audit record that started that version; NULL when none did.
-- @column doc: The document as it was then (JSON).
CREATE OR REPLACE MACRO resources_as_of(ts) AS TABLE
SELECT account, resource_type, resource_id, name, version, valid_from, valid_to, origin, event_id, doc
FROM resource_versions
WHERE valid_from <= ts AND (valid_to IS NULL OR valid_to > ts);
