-- What the store knows of $account's scripts, for the extractor: each script whose newest
-- stored document holds its code, with that document's lastModified (its code is read
-- again only when the listing shows another lastModified).
SELECT resource_id, doc ->> '$.lastModified' AS last_modified
FROM store.latest_documents
WHERE account = $account
  AND resource_type = 'script'
  AND json_exists(doc, '$.content')
  AND doc ->> '$.lastModified' IS NOT NULL
ORDER BY resource_id
