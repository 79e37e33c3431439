-- Remember every reference a version of a flow, export, import or connection made to a
-- script, stack, lookup cache, file definition, iClient or async helper, and where
-- (attributes their audit records to flows; the flow pages' script sections read it).
INSERT INTO store.resource_refs
SELECT DISTINCT $account, resource_type, resource_id, ref_type, ref_id, path
FROM staged_resource_refs AS s
WHERE NOT EXISTS (
    SELECT 1 FROM store.resource_refs AS r
    WHERE r.account = $account AND r.resource_type = s.resource_type
      AND r.resource_id = s.resource_id AND r.ref_type = s.ref_type
      AND r.ref_id = s.ref_id AND r.path = s.path
);
