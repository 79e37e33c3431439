-- The first listing line that cannot be a document (not JSON, not an object, no string
-- `_id`), in the order the files are read; no row when every line is a document.
-- A line is stored stripped, so valid JSON that starts with `{` is an object.
SELECT
    listing,
    line_no,
    CASE
        WHEN doc IS NULL THEN 'not valid JSON'
        WHEN NOT starts_with(CAST(doc AS VARCHAR), '{') THEN 'not a JSON object'
        ELSE 'a document without an _id'
    END AS problem
FROM staged_lines
WHERE doc IS NULL
   OR NOT starts_with(CAST(doc AS VARCHAR), '{')
   OR json_type(id_json) IS DISTINCT FROM 'VARCHAR'
   OR id_json = '""'
ORDER BY listing_order, line_no
LIMIT 1;
