-- Every import of every account as it was at a moment: the version valid then
-- (valid_from <= ts < valid_to), one row per import that existed at ts.
-- Example: SELECT * FROM imports_as_of(TIMESTAMP '2026-01-31 12:00').
-- @param ts: The moment (TIMESTAMP, UTC).
-- @column account: The account label the run was given (--account; default 'default').
-- @column import_id: The import's integrator.io id.
-- @column name: The import's name then.
-- @column version: The number of the version valid then (see import_versions).
-- @column valid_from: When that version began (UTC).
-- @column valid_to: When it ended (UTC); NULL if it is still current.
-- @column origin: 'observed' or 'reconstructed' (see import_versions).
-- @column doc: The import document as it was then (JSON).
CREATE OR REPLACE MACRO imports_as_of(ts) AS TABLE
SELECT
    account,
    import_id,
    name,
    version,
    valid_from,
    valid_to,
    origin,
    doc
FROM import_versions
WHERE valid_from <= ts AND (valid_to IS NULL OR valid_to > ts);
