-- A small database covering the value types `flowaudit sql` must write correctly.
CREATE TABLE samples (
    id INTEGER,
    label VARCHAR,
    ratio DOUBLE,
    enabled BOOLEAN,
    note VARCHAR,
    changed_at TIMESTAMP,
    doc JSON,
    tags VARCHAR[]
);
INSERT INTO samples VALUES
    (1, 'Zoë "the admin", line one
line two', 1.5, true, NULL, TIMESTAMP '2026-03-01 12:30:00',
     '{"name": "Orders → ERP", "pageSize": 20, "filters": [1, 2.50, null]}', ['sync', 'prod']),
    (2, '', -0.25, false, 'it''s, quoted', TIMESTAMP '2026-03-02 00:00:00.125', NULL, []),
    (3, '東京 ✓', 1e300, NULL, NULL, NULL, 'null', NULL),
    (4, 'tab' || chr(9) || 'inside', 0.1, true, '', TIMESTAMP '2026-12-31 23:59:59', '[]', [NULL, 'x']);
CREATE TABLE counter AS SELECT range AS n FROM range(2500);
CREATE VIEW sample_view AS SELECT id, label FROM samples;
