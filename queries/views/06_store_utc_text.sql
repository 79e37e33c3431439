-- Internal: an instant as ISO-8601 text in UTC with microseconds and a Z
-- ('2026-03-01T02:00:00.000000Z'), the same in any session time zone (the evidence files'
-- times).
CREATE OR REPLACE MACRO store.utc_text(ts) AS
    strftime(timezone('UTC', CAST(ts AS TIMESTAMPTZ)), '%Y-%m-%dT%H:%M:%S.%fZ');
