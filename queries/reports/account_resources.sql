-- Every resource of the given types the account has or had (deleted ones too): its name,
-- whether it exists, how many versions flowaudit knows, its newest change (when, by whom,
-- how) and the flows it is attributed to. The "other resources" report lists them.
WITH newest AS (
    SELECT resource_type, resource_id,
           count(*) AS versions,
           arg_max(valid_from, version) AS last_change_at,
           arg_max(user_name, version) AS last_change_by,
           arg_max(source, version) AS last_change_source,
           arg_max(origin, version) AS last_origin
    FROM resource_versions
    WHERE account = $account AND list_contains(CAST($types AS VARCHAR[]), resource_type)
    GROUP BY ALL
)
SELECT
    n.resource_type, n.resource_id, d.name, coalesce(d.present, false) AS present,
    n.versions, n.last_change_at, n.last_change_by, n.last_change_source, n.last_origin,
    coalesce(a.flow_ids, []::VARCHAR[]) AS flow_ids
FROM newest AS n
LEFT JOIN store.resource_directory AS d
  ON d.account = $account AND d.resource_type = n.resource_type AND d.resource_id = n.resource_id
LEFT JOIN store.attribution AS a
  ON a.account = $account AND a.resource_type = n.resource_type AND a.resource_id = n.resource_id
ORDER BY n.resource_type, lower(coalesce(d.name, n.resource_id)), n.resource_id
