-- Refresh what the public views read ready-made for $account: the resource directory (name,
-- integration, presence) and the attribution of resources to flows. With $whole every
-- resource is recomputed (after a migration, or a store written by hand); otherwise only
-- the resources in the temp table `touched` (the loader's: those whose history it rebuilt).
-- Only rows that differ are rewritten.

CREATE OR REPLACE TEMP TABLE refresh_keys AS
SELECT resource_type, resource_id FROM touched WHERE NOT $whole
UNION
SELECT resource_type, resource_id FROM store.resource_versions WHERE $whole AND account = $account
UNION
SELECT resource_type, resource_id FROM store.resource_directory WHERE $whole AND account = $account
UNION
SELECT resource_type, resource_id
FROM store.audit_records
WHERE $whole AND account = $account AND deleted_name IS NOT NULL;

-- Field change counts of records stored without one (the loader counts them as it inserts).
UPDATE store.audit_records AS a
SET field_change_count = c.changes
FROM (
    SELECT r.event_id, count(c.event_id) AS changes
    FROM store.audit_records AS r
    LEFT JOIN store.audit_field_changes AS c
      ON c.account = r.account AND c.event_id = r.event_id
    WHERE r.account = $account AND r.field_change_count IS NULL
    GROUP BY r.event_id
) AS c
WHERE a.account = $account AND a.event_id = c.event_id AND a.field_change_count IS NULL;

-- The directory: a resource's name and integration come from its newest version (the
-- document is read only for that version: found by row id, so the other documents stay
-- compressed); a deleted one is named by its delete record (deletedInfo.name), else by its
-- last known name. Resources only the audit log knows are named by their delete record.
CREATE OR REPLACE TEMP TABLE fresh_directory AS
WITH newest AS (
    SELECT resource_type, resource_id, arg_max(rowid, version) AS row_id,
           bool_or(valid_to IS NULL) AS present,
           arg_max(name, version) FILTER (WHERE name IS NOT NULL) AS name
    FROM store.resource_versions
    SEMI JOIN refresh_keys USING (resource_type, resource_id)
    WHERE account = $account
    GROUP BY ALL
),
named AS (
    SELECT n.resource_type, n.resource_id, n.present, n.name,
           v.doc ->> '$._integrationId' AS integration_id
    FROM newest AS n
    JOIN (
        SELECT rowid AS row_id, doc FROM store.resource_versions
        WHERE rowid IN (SELECT row_id FROM newest)
    ) AS v USING (row_id)
),
deleted AS (
    SELECT resource_type, resource_id, arg_max(deleted_name, time) AS deleted_name
    FROM store.audit_records
    SEMI JOIN refresh_keys USING (resource_type, resource_id)
    WHERE account = $account AND deleted_name IS NOT NULL
    GROUP BY ALL
)
SELECT
    resource_type,
    resource_id,
    CASE WHEN coalesce(n.present, false) THEN n.name ELSE coalesce(d.deleted_name, n.name) END AS name,
    CASE WHEN resource_type = 'integration' THEN resource_id ELSE n.integration_id END AS integration_id,
    coalesce(n.present, false) AS present,
    d.deleted_name
FROM named AS n
FULL JOIN deleted AS d USING (resource_type, resource_id);

CREATE OR REPLACE TEMP TABLE stale_keys AS
SELECT resource_type, resource_id FROM (
    SELECT resource_type, resource_id, name, integration_id, present, deleted_name
    FROM store.resource_directory
    SEMI JOIN refresh_keys USING (resource_type, resource_id)
    WHERE account = $account
    EXCEPT
    SELECT * FROM fresh_directory
)
UNION
SELECT resource_type, resource_id FROM (
    SELECT * FROM fresh_directory
    EXCEPT
    SELECT resource_type, resource_id, name, integration_id, present, deleted_name
    FROM store.resource_directory
    WHERE account = $account
);

DELETE FROM store.resource_directory AS d
WHERE d.account = $account
  AND EXISTS (
      SELECT 1 FROM stale_keys AS k
      WHERE k.resource_type = d.resource_type AND k.resource_id = d.resource_id
  );

INSERT INTO store.resource_directory
SELECT $account, f.*
FROM fresh_directory AS f
SEMI JOIN stale_keys AS k USING (resource_type, resource_id)
ORDER BY resource_type, resource_id;

-- Attribution: a flow belongs to itself; an export or import to every flow that any version
-- of it ever used (store.flow_steps), with those flows' integrations; a connection to the
-- integrations of the flows whose steps used it (store.step_connections), not to each flow;
-- a script, stack, lookup cache, file definition or async helper to every flow that any
-- version of it (or of one of its steps) referred to it from (store.resource_refs).
-- A touched flow may have new steps or another integration: its steps, their connections
-- and what they refer to are refreshed with it.
CREATE OR REPLACE TEMP TABLE touched_steps AS
SELECT resource_type, resource_id FROM refresh_keys
UNION
SELECT s.resource_type, s.resource_id
FROM store.flow_steps AS s
JOIN refresh_keys AS t ON t.resource_type = 'flow' AND t.resource_id = s.flow_id
WHERE s.account = $account
UNION
SELECT resource_type, resource_id
FROM store.attribution
WHERE $whole AND account = $account;

INSERT INTO touched_steps
SELECT 'connection', c.connection_id
FROM store.step_connections AS c
JOIN touched_steps AS t ON t.resource_type = c.step_type AND t.resource_id = c.step_id
WHERE c.account = $account
EXCEPT
SELECT * FROM touched_steps;

INSERT INTO touched_steps
SELECT r.ref_type, r.ref_id
FROM store.resource_refs AS r
JOIN touched_steps AS t ON t.resource_type = r.resource_type AND t.resource_id = r.resource_id
WHERE r.account = $account
EXCEPT
SELECT * FROM touched_steps;

CREATE OR REPLACE TEMP TABLE fresh_attribution AS
SELECT
    s.resource_type, s.resource_id,
    list_sort(list_distinct(list(s.flow_id))) AS flow_ids,
    list_sort(list_distinct(list(f.integration_id))) AS integration_ids
FROM store.flow_steps AS s
SEMI JOIN touched_steps AS t USING (resource_type, resource_id)
LEFT JOIN store.resource_directory AS f
  ON f.account = s.account AND f.resource_type = 'flow' AND f.resource_id = s.flow_id
WHERE s.account = $account
GROUP BY ALL
UNION ALL
SELECT
    'flow', resource_id, [resource_id],
    CASE WHEN integration_id IS NULL THEN [] ELSE [integration_id] END
FROM store.resource_directory
SEMI JOIN touched_steps USING (resource_type, resource_id)
WHERE account = $account AND resource_type = 'flow'
UNION ALL
SELECT
    'connection', c.connection_id, []::VARCHAR[],
    list_sort(list_distinct(list(f.integration_id)))
FROM store.step_connections AS c
JOIN touched_steps AS t ON t.resource_type = 'connection' AND t.resource_id = c.connection_id
JOIN store.flow_steps AS s
  ON s.account = c.account AND s.resource_type = c.step_type AND s.resource_id = c.step_id
LEFT JOIN store.resource_directory AS f
  ON f.account = s.account AND f.resource_type = 'flow' AND f.resource_id = s.flow_id
WHERE c.account = $account
GROUP BY ALL
UNION ALL
SELECT
    r.ref_type, r.ref_id,
    coalesce(list_sort(list_distinct(list(u.flow_id) FILTER (WHERE u.flow_id IS NOT NULL))), []::VARCHAR[]),
    coalesce(list_sort(list_distinct(list(f.integration_id) FILTER (WHERE f.integration_id IS NOT NULL))), []::VARCHAR[])
FROM store.resource_refs AS r
SEMI JOIN touched_steps AS t ON t.resource_type = r.ref_type AND t.resource_id = r.ref_id
LEFT JOIN (
    SELECT account, 'flow' AS resource_type, resource_id, resource_id AS flow_id
    FROM store.resource_directory WHERE resource_type = 'flow'
    UNION ALL
    SELECT account, resource_type, resource_id, flow_id FROM store.flow_steps
) AS u
  ON u.account = r.account AND u.resource_type = r.resource_type AND u.resource_id = r.resource_id
LEFT JOIN store.resource_directory AS f
  ON f.account = r.account AND f.resource_type = 'flow' AND f.resource_id = u.flow_id
WHERE r.account = $account
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE stale_keys AS
SELECT resource_type, resource_id FROM (
    SELECT resource_type, resource_id, flow_ids, integration_ids
    FROM store.attribution
    SEMI JOIN touched_steps USING (resource_type, resource_id)
    WHERE account = $account
    EXCEPT
    SELECT * FROM fresh_attribution
)
UNION
SELECT resource_type, resource_id FROM (
    SELECT * FROM fresh_attribution
    EXCEPT
    SELECT resource_type, resource_id, flow_ids, integration_ids
    FROM store.attribution
    WHERE account = $account
);

DELETE FROM store.attribution AS d
WHERE d.account = $account
  AND EXISTS (
      SELECT 1 FROM stale_keys AS k
      WHERE k.resource_type = d.resource_type AND k.resource_id = d.resource_id
  );

INSERT INTO store.attribution
SELECT $account, f.*
FROM fresh_attribution AS f
SEMI JOIN stale_keys AS k USING (resource_type, resource_id)
ORDER BY resource_type, resource_id;

DROP TABLE touched_steps;
DROP TABLE refresh_keys;
DROP TABLE fresh_directory;
DROP TABLE fresh_attribution;
DROP TABLE stale_keys;
