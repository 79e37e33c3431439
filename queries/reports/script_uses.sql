-- Where each script of the account is used: every flow, export or import that any version
-- of which referred to it (store.resource_refs), the flow it belongs to (itself, or every
-- flow that used the step), where in the document, and whether the resource's current
-- document still refers to it.
SELECT
    r.ref_id AS script_id,
    CASE WHEN r.resource_type = 'flow' THEN r.resource_id ELSE s.flow_id END AS flow_id,
    r.resource_type AS via_type,
    r.resource_id AS via_id,
    r.path,
    coalesce(contains(CAST(l.doc AS VARCHAR), '"_scriptId":"' || r.ref_id || '"'), false) AS current
FROM store.resource_refs AS r
LEFT JOIN store.flow_steps AS s
  ON s.account = r.account AND r.resource_type <> 'flow'
 AND s.resource_type = r.resource_type AND s.resource_id = r.resource_id
LEFT JOIN store.latest_documents AS l
  ON l.account = r.account AND l.resource_type = r.resource_type AND l.resource_id = r.resource_id
WHERE r.account = $account AND r.ref_type = 'script'
ORDER BY script_id, flow_id, via_type, via_id, r.path
