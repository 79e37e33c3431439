-- Internal: the flows every resource is attributed to. A flow belongs to itself; an export
-- or import to every flow that any version of it ever used (store.flow_steps). Kept
-- ready-made by every load (store.attribution, queries/load/derived_refresh.sql).
CREATE OR REPLACE VIEW store.flow_attribution AS
SELECT account, resource_type, resource_id, flow_ids, integration_ids
FROM store.attribution;
