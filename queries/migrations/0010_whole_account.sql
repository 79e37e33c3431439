-- The whole account (issue 14): scripts, users, API tokens, lookup caches, file definitions,
-- iClients, async helpers and stacks are versioned like the first five types (the registry
-- says so; nothing to reshape for them), and documents refer to some of them by id:
-- - store.resource_refs: every reference any version of a flow, export, import or
--   connection made to a script, stack, lookup cache, file definition, iClient or async
--   helper (`_scriptId` and the like, anywhere in the document), and where (`path`): what
--   attributes their audit records to flows and what the script sections of flow pages show.
-- What earlier versions stored is scrubbed after this file, in Python (captured payloads
-- replaced by markers, secret-looking values masked: flowaudit.load.scrub_store), and every
-- history is rebuilt from the scrubbed observations and records (which fills resource_refs).

CREATE TABLE store.resource_refs (
    account VARCHAR NOT NULL,
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    ref_type VARCHAR NOT NULL,
    ref_id VARCHAR NOT NULL,
    path VARCHAR NOT NULL
);
