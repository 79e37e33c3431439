-- Scripts listed without their code: the extractor did not read it again, because the
-- store holds the document of the same lastModified with it (queries/load/known_scripts.sql).
-- That stored code is carried over, appended as the by-id GET's field would be.
UPDATE staged_lines AS s
SET doc = json_merge_patch(s.doc, json_object('content', l.doc -> '$.content'))
FROM store.latest_documents AS l
WHERE s.resource_type = 'script'
  AND l.account = $account
  AND l.resource_type = 'script'
  AND l.resource_id = s.id_json ->> '$'
  AND NOT json_exists(s.doc, '$.content')
  AND json_exists(l.doc, '$.content')
  AND (s.doc ->> '$.lastModified') = (l.doc ->> '$.lastModified');
