-- The current scripts (JavaScript hooks, transforms, filters and branch conditions), one row
-- each, with their code. The code (`content`) is read by id, only when a script's
-- lastModified moved (docs/decisions.md); values that look like secrets are masked.
-- @column account: The account label the run was given (--account; default 'default').
-- @column script_id: The script's integrator.io id (_id).
-- @column name: The script's name.
-- @column description: The script's description, NULL when it has none.
-- @column content: The script's code (JavaScript), NULL when the API gave none.
-- @column content_lines: Number of lines of the code (0 without code).
-- @column source_id: The script it was cloned from (_sourceId), NULL if none.
-- @column flow_ids: The flows that refer to it (any version of the flow or of its exports
--    and imports, in hooks, transforms, filters or router branches), sorted.
-- @column created_at: When the script was created (createdAt, UTC).
-- @column last_modified: When the script was last modified (lastModified, UTC).
-- @column observed_at: When flowaudit last read this document from the API (UTC).
-- @column doc: The script document as read (JSON; its code in `content`).
CREATE OR REPLACE VIEW scripts AS
SELECT
    d.account,
    d.resource_id AS script_id,
    d.doc ->> '$.name' AS name,
    d.doc ->> '$.description' AS description,
    d.doc ->> '$.content' AS content,
    coalesce(len(string_split(d.doc ->> '$.content', chr(10))), 0) AS content_lines,
    d.doc ->> '$._sourceId' AS source_id,
    coalesce(a.flow_ids, []::VARCHAR[]) AS flow_ids,
    store.utc_time(d.doc ->> '$.createdAt') AS created_at,
    store.utc_time(d.doc ->> '$.lastModified') AS last_modified,
    d.observed_at,
    d.doc
FROM store.latest_documents AS d
LEFT JOIN store.attribution AS a
  ON a.account = d.account AND a.resource_type = d.resource_type AND a.resource_id = d.resource_id
WHERE d.resource_type = 'script';
