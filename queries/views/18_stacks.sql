-- The current stacks of the account, one row each. A stack is the server or AWS Lambda
-- function that runs hooks written outside integrator.io.
-- @column account: The account label the run was given (--account; default 'default').
-- @column stack_id: The stack's integrator.io id (_id).
-- @column name: Its name.
-- @column type: The kind of stack ('server', 'lambda'), NULL when absent.
-- @column flow_ids: The flows that refer to it (any version of the flow or of its exports
--    and imports), sorted (empty when none does).
-- @column created_at: When it was created (createdAt, UTC).
-- @column last_modified: When it was last modified (lastModified, UTC).
-- @column observed_at: When flowaudit last read this document from the API (UTC).
-- @column doc: The document as the API returned it (JSON).
CREATE OR REPLACE VIEW stacks AS
SELECT
    d.account,
    d.resource_id AS stack_id,
    d.doc ->> '$.name' AS name,
    d.doc ->> '$.type' AS type,
    coalesce(a.flow_ids, []::VARCHAR[]) AS flow_ids,
    store.utc_time(d.doc ->> '$.createdAt') AS created_at,
    store.utc_time(d.doc ->> '$.lastModified') AS last_modified,
    d.observed_at,
    d.doc
FROM store.latest_documents AS d
LEFT JOIN store.attribution AS a
  ON a.account = d.account AND a.resource_type = d.resource_type AND a.resource_id = d.resource_id
WHERE d.resource_type = 'stack';
