"""Step matching by identity, volatile fields, and readable paths in the document diff."""

from flowaudit.config import DEFAULT_VOLATILE_FIELDS
from flowaudit.documents.steps import flow_steps
from flowaudit.transform.diff import diff_documents, path_segments


def flow(*processors, **extra):
    return {
        "_id": "f1",
        "name": "Orders",
        "pageGenerators": [{"_exportId": "e0", "_id": "g0"}],
        "pageProcessors": [dict(p) for p in processors],
        **extra,
    }


A = {"type": "import", "_importId": "a", "proceedOnFailure": False}
B = {"type": "import", "_importId": "b"}
C = {"type": "export", "_exportId": "c"}


def kinds(result):
    return [(c.path, c.kind) for c in result.changes]


def test_inserting_a_step_is_one_added_step():
    result = diff_documents(flow(A, B), flow(A, C, B))
    assert kinds(result) == [("pageProcessors[_exportId=c]", "added")]
    assert result.changes[0].new == C


def test_removing_a_step_is_one_removed_step():
    result = diff_documents(flow(A, C, B), flow(A, B))
    assert kinds(result) == [("pageProcessors[_exportId=c]", "removed")]


def test_reordering_steps_reads_as_a_move():
    result = diff_documents(flow(A, B, C), flow(B, A, C))
    assert len(result.changes) == 1
    change = result.changes[0]
    assert change.kind == "moved"
    assert change.path in {"pageProcessors[_importId=a]", "pageProcessors[_importId=b]"}


def test_editing_a_step_field_is_modified_at_a_readable_path():
    edited = {**A, "proceedOnFailure": True}
    result = diff_documents(flow(A, B), flow(edited, B))
    assert kinds(result) == [("pageProcessors[_importId=a].proceedOnFailure", "modified")]
    assert (result.changes[0].old, result.changes[0].new) == (False, True)


def test_router_branch_steps_are_matched_by_id():
    def routed(*steps):
        return {
            "_id": "f1",
            "routers": [
                {"_id": "r1", "branches": [{"name": "one", "pageProcessors": list(steps)}]}
            ],
        }

    result = diff_documents(routed(A, B), routed(C, A, B))
    assert kinds(result) == [("routers[_id=r1].branches[0].pageProcessors[_exportId=c]", "added")]


def test_mapping_lists_are_matched_by_generate():
    before = {
        "mapping": {
            "fields": [{"extract": "a", "generate": "x"}, {"extract": "b", "generate": "y"}]
        }
    }
    after = {
        "mapping": {
            "fields": [
                {"extract": "n", "generate": "new"},
                {"extract": "a", "generate": "x"},
                {"extract": "B", "generate": "y"},
            ]
        }
    }
    result = diff_documents(before, after)
    assert kinds(result) == [
        ("mapping.fields[generate=new]", "added"),
        ("mapping.fields[generate=y].extract", "modified"),
    ]


def test_the_same_import_twice_in_a_flow_is_told_apart():
    result = diff_documents(flow(A, B, A), flow(A, B))
    assert kinds(result) == [("pageProcessors[_importId=a#2]", "removed")]


def test_volatile_fields_are_ignored_and_reported():
    before = flow(A, lastModified="2026-01-01T00:00:00.000Z", logging={"debugUntil": "x"})
    after = flow(A, lastModified="2026-01-02T00:00:00.000Z", logging={"debugUntil": "y"})
    result = diff_documents(before, after, volatile_fields=DEFAULT_VOLATILE_FIELDS)
    assert result.changes == ()
    assert result.ignored == ("lastModified", "logging.debugUntil")


def test_without_the_volatile_setting_the_same_fields_are_drift():
    before = flow(A, lastModified="2026-01-01T00:00:00.000Z")
    after = flow(A, lastModified="2026-01-02T00:00:00.000Z")
    assert kinds(diff_documents(before, after)) == [("lastModified", "modified")]


def test_null_and_absent_are_different():
    result = diff_documents({"a": None}, {})
    assert kinds(result) == [("a", "removed")]


def test_lists_of_ids_read_as_one_before_and_after_value():
    result = diff_documents({"_runNextFlowIds": ["x"]}, {"_runNextFlowIds": ["x", "y"]})
    assert kinds(result) == [("_runNextFlowIds", "modified")]


def test_a_missing_document_is_a_whole_add_or_remove():
    assert kinds(diff_documents(None, {"a": 1})) == [("", "added")]
    assert kinds(diff_documents({"a": 1}, None)) == [("", "removed")]


def test_paths_reduce_to_the_audit_logs_dotted_keys():
    assert path_segments("pageProcessors[_importId=a.b].proceedOnFailure") == [
        "pageProcessors",
        "proceedOnFailure",
    ]
    assert path_segments("mapping.fields.1.extract") == ["mapping", "fields", "extract"]


def test_step_resources_walk_generators_processors_and_routers():
    doc = {
        "pageGenerators": [{"_exportId": "e1"}],
        "pageProcessors": [{"_importId": "i1"}],
        "routers": [{"branches": [{"pageProcessors": [{"_exportId": "e2"}, {"_importId": "i1"}]}]}],
    }
    assert flow_steps(doc) == [("export", "e1"), ("import", "i1"), ("export", "e2")]
