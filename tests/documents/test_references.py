"""Every place a document names a script (or a stack, lookup cache, ...) is found."""

from flowaudit.documents.references import Reference, may_refer, references


def test_references_are_found_in_hooks_transforms_filters_and_router_branches():
    flow = {
        "routers": [{"routeRecordsUsing": "script", "script": {"_scriptId": "s1", "function": "branching"},
                     "branches": [{"inputFilter": {"type": "script", "script": {"_scriptId": "s2"}}}]}],
        "pageProcessors": [{"_importId": "i1", "hooks": {"postResponseMap": {"_scriptId": "s3"}}}],
    }  # fmt: skip
    export = {"hooks": {"preSavePage": {"_scriptId": "s4", "_stackId": "k1"}},
              "transform": {"type": "script", "script": {"_scriptId": "s5"}},
              "filter": {"script": {"_scriptId": "s6"}}, "file": {"fileDefinition": {"_fileDefinitionId": "f1"}}}  # fmt: skip
    found = references(flow) + references(export)
    assert {(r.resource_type, r.resource_id) for r in found} == {
        ("script", "s1"), ("script", "s2"), ("script", "s3"), ("script", "s4"), ("script", "s5"),
        ("script", "s6"), ("stack", "k1"), ("filedefinition", "f1"),
    }  # fmt: skip
    assert Reference("routers.0.script", "script", "s1") in found
    assert Reference("routers.0.branches.0.inputFilter.script", "script", "s2") in found
    assert Reference("hooks.preSavePage", "script", "s4") in found


def test_a_document_without_reference_keys_is_not_walked_and_deep_ones_do_not_overflow():
    assert not may_refer('{"name":"x"}') and may_refer('{"a":{"_scriptId":"s"}}')
    deep: dict = {"_scriptId": "bottom"}
    for _ in range(5000):
        deep = {"next": deep}
    assert references(deep)[0].resource_id == "bottom"
