-- Versions that end before they begin, or that last no time at all although they are not
-- an unexplained change revealed by the next record (the only versions that may).
SELECT account, resource_type, resource_id, version, valid_from, valid_to, origin
FROM store.resource_versions
WHERE valid_to IS NOT NULL
  AND (valid_to < valid_from OR (valid_to = valid_from AND origin NOT IN ('unexplained', 'observed')));
