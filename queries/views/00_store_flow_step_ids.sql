-- Internal: the ids of the exports (or imports) a flow document uses, in every place a flow
-- can name them: pageGenerators, pageProcessors, routers' branches, legacy top-level ids.
CREATE OR REPLACE MACRO store.flow_step_ids(doc, id_key) AS list_sort(list_distinct(list_concat(
    json_extract_string(doc, '$.pageGenerators[*].' || id_key),
    json_extract_string(doc, '$.pageProcessors[*].' || id_key),
    json_extract_string(doc, '$.routers[*].branches[*].pageProcessors[*].' || id_key),
    CASE WHEN (doc ->> ('$.' || id_key)) IS NOT NULL THEN [doc ->> ('$.' || id_key)] ELSE [] END
)));
