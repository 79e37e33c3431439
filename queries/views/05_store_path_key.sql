-- Internal: a field path's key for matching changes to differences: its dotted keys without
-- list positions or selectors, ending in a dot (`pageProcessors.0.x` and
-- `pageProcessors[_importId=a].x` both give `pageProcessors.x.`), so that a prefix test
-- respects key boundaries; `.` is the whole resource. Python's twin:
-- flowaudit.report.reconcile.path_key (a test keeps them equal).
CREATE OR REPLACE MACRO store.path_key(field_path) AS
    array_to_string(list_filter(
        string_split(regexp_replace(coalesce(field_path, ''), '\[[^\]]*\]', '.', 'g'), '.'),
        lambda part: part <> '' AND NOT regexp_full_match(part, '[0-9]+')
    ), '.') || '.';
