-- Keep the newest raw document (volatile fields included) of every resource present: the
-- listed ones are replaced, and those missing from a complete listing are removed.
DELETE FROM store.latest_documents AS l
WHERE l.account = $account
  AND (
      list_contains($complete_types, l.resource_type)
      OR EXISTS (
          SELECT 1 FROM staged_docs AS s
          WHERE s.resource_type = l.resource_type AND s.resource_id = l.resource_id
      )
  );

INSERT INTO store.latest_documents
SELECT $account, resource_type, resource_id, $run_id, $observed_at, doc
FROM staged_docs
ORDER BY resource_type, resource_id;
