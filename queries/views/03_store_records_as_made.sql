-- Internal: the audit records of account `acct` with `since` <= time < `until` (NULL: no
-- bound) as they were when they were made, for the monthly history pages, which then never
-- change once their month is over: the resource's name then (its version at the record's
-- time, else its delete record's name), and the flows that existed then and used the
-- resource at some time (a flow's own records: that flow), each with its name then, and the
-- names then of their integrations ('(standalone)' for a flow in none); an integration's own
-- records name it. `integration` is the text a change table shows.
CREATE OR REPLACE MACRO store.records_as_made(acct, since, until) AS TABLE
WITH records AS (
    SELECT
        account, event_id, time, resource_type, resource_id, source, event,
        coalesce(user_name, user_email, user_id, '(unknown)') AS user_name,
        coalesce(user_email, '') AS user_email,
        deleted_name
    FROM store.audit_records
    WHERE account = acct AND (since IS NULL OR time >= since) AND (until IS NULL OR time < until)
),
named AS (
    SELECT r.*, v.name AS version_name
    FROM records AS r
    ASOF LEFT JOIN (
        SELECT resource_type, resource_id, valid_from, name
        FROM store.resource_versions
        WHERE account = acct
    ) AS v
      ON v.resource_type = r.resource_type AND v.resource_id = r.resource_id AND v.valid_from <= r.time
),
pairs AS (
    SELECT event_id, time, resource_id AS flow_id, true AS own
    FROM records
    WHERE resource_type = 'flow'
    UNION ALL
    SELECT r.event_id, r.time, s.flow_id, false
    FROM records AS r
    JOIN store.flow_steps AS s
      ON s.account = acct AND s.resource_type = r.resource_type AND s.resource_id = r.resource_id
),
flows_then AS (
    SELECT p.event_id, p.time, p.flow_id, v.name, v.integration_id
    FROM pairs AS p
    ASOF LEFT JOIN (
        SELECT resource_id AS flow_id, valid_from, valid_to, name, integration_id
        FROM store.resource_versions
        WHERE account = acct AND resource_type = 'flow'
    ) AS v
      ON v.flow_id = p.flow_id AND v.valid_from <= p.time
    WHERE p.own OR (v.valid_from IS NOT NULL AND (v.valid_to IS NULL OR v.valid_to > p.time))
),
integrations_then AS (
    SELECT f.*, i.name AS integration_name
    FROM flows_then AS f
    ASOF LEFT JOIN (
        SELECT resource_id AS integration_id, valid_from, name
        FROM store.resource_versions
        WHERE account = acct AND resource_type = 'integration'
    ) AS i
      ON i.integration_id = f.integration_id AND i.valid_from <= f.time
),
per_record AS (
    SELECT
        event_id,
        list(flow_id ORDER BY flow_id) AS flow_ids,
        list(coalesce(name, flow_id) ORDER BY flow_id) AS flow_names,
        list_sort(list_distinct(list(
            CASE WHEN integration_id IS NULL THEN '(standalone)' ELSE coalesce(integration_name, integration_id) END
        ))) AS integration_names
    FROM integrations_then
    GROUP BY event_id
)
SELECT
    n.account, n.event_id, n.time, n.resource_type, n.resource_id,
    coalesce(n.version_name, n.deleted_name) AS resource_name,
    coalesce(p.flow_ids, []) AS flow_ids,
    coalesce(p.flow_names, []) AS flow_names,
    CASE
        WHEN n.resource_type = 'integration' THEN coalesce(n.version_name, n.deleted_name, n.resource_id)
        ELSE array_to_string(coalesce(p.integration_names, []), ', ')
    END AS integration,
    n.source, n.event, n.user_name, n.user_email
FROM named AS n
LEFT JOIN per_record AS p USING (event_id);
