-- Reconstructed versions that begin after the resource's first observed version: rebuilt
-- history only ever precedes what flowaudit saw.
SELECT r.account, r.resource_type, r.resource_id, r.valid_from
FROM store.resource_versions AS r
JOIN (
    SELECT account, resource_type, resource_id, min(valid_from) AS first_observed
    FROM store.resource_versions
    WHERE origin = 'observed'
    GROUP BY ALL
) AS o USING (account, resource_type, resource_id)
WHERE r.origin = 'reconstructed' AND r.valid_from >= o.first_observed;
