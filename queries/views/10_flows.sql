-- The current flows, one row each: every flow present in the latest complete listing of
-- its account, with its latest document.
-- @column account: The account label the run was given (--account; default 'default').
-- @column flow_id: The flow's integrator.io id (_id, 24 hex characters).
-- @column name: The flow's name.
-- @column description: The flow's description, NULL when it has none.
-- @column integration_id: The integration the flow belongs to (_integrationId); NULL for a
--    standalone flow.
-- @column integration_name: The name of that integration; NULL for a standalone flow.
-- @column disabled: Whether the flow is disabled (off).
-- @column schedule: The flow's schedule, Celigo 6-field cron (e.g. '? 0 2 ? * *'); NULL when
--    it runs only on demand or by webhook.
-- @column timezone: The time zone of the schedule (IANA name).
-- @column created_at: When the flow was created (createdAt, UTC).
-- @column last_modified: When the flow was last modified (lastModified, UTC).
-- @column last_executed_at: When the flow last ran (lastExecutedAt, UTC); NULL if never.
-- @column shape: 'routed' (uses routers/branches), 'linear' (pageGenerators and
--    pageProcessors) or 'legacy' (top-level _exportId/_importId).
-- @column page_generator_count: Number of page generators (sources) of the flow.
-- @column page_processor_count: Number of page processors (steps), branches' included.
-- @column router_count: Number of routers.
-- @column export_ids: The exports the flow uses (sources and lookups), sorted.
-- @column import_ids: The imports the flow uses, sorted.
-- @column observed_at: When flowaudit last read this document from the API (UTC).
-- @column doc: The flow document as the API returned it (JSON).
CREATE OR REPLACE VIEW flows AS
SELECT
    d.account,
    d.resource_id AS flow_id,
    d.doc ->> '$.name' AS name,
    d.doc ->> '$.description' AS description,
    d.doc ->> '$._integrationId' AS integration_id,
    i.doc ->> '$.name' AS integration_name,
    TRY_CAST(d.doc ->> '$.disabled' AS BOOLEAN) AS disabled,
    d.doc ->> '$.schedule' AS schedule,
    d.doc ->> '$.timezone' AS timezone,
    store.utc_time(d.doc ->> '$.createdAt') AS created_at,
    store.utc_time(d.doc ->> '$.lastModified') AS last_modified,
    store.utc_time(d.doc ->> '$.lastExecutedAt') AS last_executed_at,
    CASE
        WHEN coalesce(json_array_length(d.doc, '$.routers'), 0) > 0 THEN 'routed'
        WHEN coalesce(json_array_length(d.doc, '$.pageGenerators'), 0) = 0
         AND (d.doc ->> '$._exportId' IS NOT NULL OR d.doc ->> '$._importId' IS NOT NULL)
            THEN 'legacy'
        ELSE 'linear'
    END AS shape,
    coalesce(json_array_length(d.doc, '$.pageGenerators'), 0) AS page_generator_count,
    coalesce(json_array_length(d.doc, '$.pageProcessors'), 0)
        + len(json_extract(d.doc, '$.routers[*].branches[*].pageProcessors[*]')) AS page_processor_count,
    coalesce(json_array_length(d.doc, '$.routers'), 0) AS router_count,
    store.flow_step_ids(d.doc, '_exportId') AS export_ids,
    store.flow_step_ids(d.doc, '_importId') AS import_ids,
    d.observed_at,
    d.doc
FROM store.latest_documents AS d
LEFT JOIN store.latest_documents AS i
  ON i.account = d.account
 AND i.resource_type = 'integration'
 AND i.resource_id = d.doc ->> '$._integrationId'
WHERE d.resource_type = 'flow';
