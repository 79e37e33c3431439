-- Every {{title}} of every account as it was at a moment: the version valid then
-- (valid_from <= ts < valid_to), one row per {{title}} that existed at ts.
-- Example: SELECT * FROM {{listing}}_as_of(TIMESTAMPTZ '2026-01-31 12:00Z').
-- @param ts: The moment (TIMESTAMPTZ; a plain TIMESTAMP is read in the session's time
--    zone, which flowaudit sql sets to UTC).
-- @column account: The account label the run was given (--account; default 'default').
-- @column {{id_column}}: The {{title}}'s integrator.io id.
-- @column name: The {{title}}'s name then.
-- @column version: The number of the version valid then (see {{versions_view}}).
-- @column valid_from: When that version began (UTC).
-- @column valid_to: When it ended (UTC); NULL if it is still current.
-- @column origin: How flowaudit knows that version (see resource_versions.origin).
-- @column event_id: The audit record that started that version; NULL when none did.
-- @column doc: The {{title}} document as it was then (JSON).
CREATE OR REPLACE MACRO {{listing}}_as_of(ts) AS TABLE
SELECT account, {{id_column}}, name, version, valid_from, valid_to, origin, event_id, doc
FROM {{versions_view}}
WHERE valid_from <= ts AND (valid_to IS NULL OR valid_to > ts);
