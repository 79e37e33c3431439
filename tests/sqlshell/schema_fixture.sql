-- A miniature public schema: one documented view, one documented table macro, an internal
-- store table and view that `flowaudit schema` must leave out.
CREATE SCHEMA store;
CREATE TABLE store.things (id VARCHAR, seen_at TIMESTAMP, size INTEGER);
CREATE VIEW store.hidden AS SELECT id FROM store.things;
CREATE TABLE store.schema_docs (
    object_name VARCHAR, object_kind VARCHAR, item_kind VARCHAR, position INTEGER,
    item_name VARCHAR, description VARCHAR
);
CREATE VIEW things AS SELECT id AS thing_id, seen_at, size FROM store.things;
COMMENT ON VIEW things IS 'Every thing, as last seen.';
COMMENT ON COLUMN things.thing_id IS 'The thing''s id | 24 hex characters.';
COMMENT ON COLUMN things.seen_at IS 'When it was seen (UTC).';
CREATE MACRO things_between(t1, t2) AS TABLE
    SELECT id AS thing_id, size FROM store.things WHERE seen_at >= t1 AND seen_at < t2;
COMMENT ON MACRO TABLE things_between IS 'Things seen in [t1, t2).';
INSERT INTO store.schema_docs VALUES
    ('things_between', 'macro', 'object', 0, NULL, 'Things seen in [t1, t2).'),
    ('things_between', 'macro', 'parameter', 1, 't1', 'start, inclusive'),
    ('things_between', 'macro', 'parameter', 2, 't2', 'end, exclusive'),
    ('things_between', 'macro', 'column', 1, 'thing_id', 'the thing'),
    ('things_between', 'macro', 'column', 2, 'size', 'its size');
