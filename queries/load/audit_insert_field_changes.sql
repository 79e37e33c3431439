-- One row per `fieldChanges` entry of the audit records this run stored. The *_present
-- flags keep "no oldValue" (a field newly set) apart from "oldValue: null": extracting a
-- missing key gives SQL NULL, an explicit null gives JSON 'null'. Each record is parsed
-- once (its changes as a list) and each change once (one multi-path extraction).
INSERT INTO store.audit_field_changes
SELECT
    account,
    event_id,
    CAST(position - 1 AS INTEGER),
    v[1] ->> '$',
    v[2] IS NOT NULL,
    v[2],
    v[3] IS NOT NULL,
    v[3]
FROM (
    SELECT
        account, event_id, position,
        json_extract(change, ['$.fieldPath', '$.oldValue', '$.newValue']) AS v
    FROM (
        SELECT
            account,
            event_id,
            unnest(changes) AS change,
            generate_subscripts(changes, 1) AS position
        FROM (
            SELECT account, event_id, json_extract(raw, '$.fieldChanges[*]') AS changes
            FROM store.audit_records
            WHERE account = $account AND first_run_id = $run_id
        )
    )
);
