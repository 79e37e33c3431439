-- Every version of every {{title}} flowaudit knows, current and past, deleted ones included
-- (the rows of resource_versions for resource_type '{{type}}', with the id named
-- {{id_column}}): every audited change its own version, unexplained changes apart.
-- @column account: The account label the run was given (--account; default 'default').
-- @column {{id_column}}: The {{title}}'s integrator.io id.
-- @column version: The version's number, 1 for the oldest known, in order of valid_from.
-- @column name: The {{title}}'s name in this version.
-- @column valid_from: When this version began (UTC; see resource_versions.valid_from).
-- @column valid_to: When this version ended (UTC); NULL for the current version.
-- @column is_current: Whether this is the {{title}}'s current version (valid_to is NULL).
-- @column deleted: Whether the version ended because the {{title}} was deleted.
-- @column origin: 'observed', 'reconstructed', 'audit' or 'unexplained' (see
--    resource_versions.origin).
-- @column content_hash: sha256 of the version's canonical JSON without volatile fields.
-- @column audit_event_id: The same as event_id (the name earlier releases used).
-- @column run_id: The flowaudit run that loaded what the version comes from.
-- @column resource_type: Always '{{type}}' (so that views of several types combine by name).
-- @column resource_id: The same as {{id_column}}.
-- @column event_id: The audit record that started this version; NULL when none did.
-- @column user_id: The id of the user who made the change.
-- @column user_name: That user's name.
-- @column user_email: That user's e-mail address.
-- @column source: Where the change came from, lower case ('ui', 'api', 'system', ...).
-- @column changed_after: For an unexplained version: the last observation before the change.
-- @column changed_before: For an unexplained version: the time by which it had happened.
-- @column doc: The {{title}} document of this version (JSON; see resource_versions.doc).
CREATE OR REPLACE VIEW {{versions_view}} AS
SELECT
    account, resource_id AS {{id_column}}, version, name, valid_from, valid_to, is_current,
    deleted, origin, content_hash, event_id AS audit_event_id, run_id, resource_type,
    resource_id, event_id, user_id, user_name, user_email, source, changed_after,
    changed_before, doc
FROM resource_versions
WHERE resource_type = '{{type}}';
