-- One row per `fieldChanges` entry of the audit records this run stored. The *_present
-- flags keep "no oldValue" (a field newly set) apart from "oldValue: null".
INSERT INTO store.audit_field_changes
SELECT
    account,
    event_id,
    CAST(position - 1 AS INTEGER),
    change ->> '$.fieldPath',
    json_exists(change, '$.oldValue'),
    json_extract(change, '$.oldValue'),
    json_exists(change, '$.newValue'),
    json_extract(change, '$.newValue')
FROM (
    SELECT account, event_id, time, raw
    FROM store.audit_records
    WHERE account = $account AND first_run_id = $run_id
      AND json_type(raw, '$.fieldChanges') = 'ARRAY'
) AS records,
    unnest(json_extract(raw, '$.fieldChanges[*]')) WITH ORDINALITY AS changes(change, position)
ORDER BY time, event_id, position;
