-- Keep the newest raw document (volatile fields included) of every resource present.
-- Only what changed is rewritten: documents whose text changed are replaced, those missing
-- from a complete listing removed, new ones added; the rest are marked seen in this run.
DELETE FROM store.latest_documents AS l
WHERE l.account = $account
  AND (
      EXISTS (
          SELECT 1 FROM staged_docs AS s
          WHERE s.resource_type = l.resource_type AND s.resource_id = l.resource_id
            AND CAST(s.doc AS VARCHAR) <> CAST(l.doc AS VARCHAR)
      )
      OR (
          list_contains($complete_types, l.resource_type)
          AND NOT EXISTS (
              SELECT 1 FROM staged_docs AS s
              WHERE s.resource_type = l.resource_type AND s.resource_id = l.resource_id
          )
      )
  );

UPDATE store.latest_documents AS l
SET run_id = $run_id, observed_at = $observed_at
FROM staged_docs AS s
WHERE l.account = $account
  AND l.resource_type = s.resource_type
  AND l.resource_id = s.resource_id;

INSERT INTO store.latest_documents
SELECT $account, s.resource_type, s.resource_id, $run_id, $observed_at, s.doc
FROM staged_docs AS s
WHERE NOT EXISTS (
    SELECT 1 FROM store.latest_documents AS l
    WHERE l.account = $account
      AND l.resource_type = s.resource_type AND l.resource_id = s.resource_id
)
ORDER BY s.resource_type, s.resource_id;
