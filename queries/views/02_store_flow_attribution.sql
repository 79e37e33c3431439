-- Internal: the flows every resource is attributed to. A flow belongs to itself; an export
-- or import to every flow that any version of it ever used (store.flow_steps).
CREATE OR REPLACE VIEW store.flow_attribution AS
SELECT
    s.account, s.resource_type, s.resource_id,
    list_sort(list_distinct(list(s.flow_id))) AS flow_ids,
    list_sort(list_distinct(list(f.integration_id))) AS integration_ids
FROM store.flow_steps AS s
LEFT JOIN store.resource_names AS f
  ON f.account = s.account AND f.resource_type = 'flow' AND f.resource_id = s.flow_id
GROUP BY ALL
UNION ALL
SELECT
    account, 'flow', resource_id, [resource_id],
    CASE WHEN integration_id IS NULL THEN [] ELSE [integration_id] END
FROM store.resource_names
WHERE resource_type = 'flow';
