"""One presentation of a field's change (flowaudit.report.field_diff): keyed entries for
lists and objects, changed lines for long strings, step names in paths, secrets masked."""

from flowaudit.report.field_diff import entry_data, field_entries, named_path
from flowaudit.report.masking import MASK
from flowaudit.transform.diff import MISSING

PATTERN = r"(?i)password|token|secret"
NAMES = {("import", "imp1"): "Orders to SAP", ("export", "exp1"): "Get orders"}


def names(rtype: str, rid: str) -> str:
    return NAMES.get((rtype, rid), rid)


def rows(path, old, new):
    return [entry_data(e) for e in field_entries(path, old, new, PATTERN, names)]


def test_a_mapping_change_is_its_keyed_entries_never_two_blobs():
    old = [
        {"generate": "Betrag", "extract": "amount"},
        {"generate": "Kunde", "extract": "customer"},
    ]
    new = [{"generate": "Kunde", "extract": "client"}, {"generate": "Datum", "extract": "date"}]
    assert rows("mapping.fields", old, new) == [
        ["mapping.fields[generate=Betrag]", "r", {"generate": "Betrag", "extract": "amount"}, None],
        ["mapping.fields[generate=Kunde].extract", "m", "customer", "client"],
        ["mapping.fields[generate=Datum]", "a", None, {"generate": "Datum", "extract": "date"}],
    ]


def test_steps_are_matched_by_id_and_named_and_a_move_is_a_move():
    old = [{"_importId": "imp1", "proceedOnFailure": False}, {"_importId": "imp2"}]
    new = [{"_importId": "imp2"}, {"_importId": "imp1", "proceedOnFailure": True}]
    assert rows("pageProcessors", old, new) == [
        ['pageProcessors[import "Orders to SAP"]', "v", 0, 1],
        ['pageProcessors[import "Orders to SAP"].proceedOnFailure', "m", False, True],
    ]


def test_a_long_string_shows_its_changed_lines_with_numbers():
    old = "function f(r) {\n  return r;\n}\n"
    new = "function f(r) {\n  r.x = 1;\n  return r;\n}\n"
    ((path, kind, before, lines),) = rows("hooks.preSavePage.function", old, new)
    assert (path, kind, before) == ("hooks.preSavePage.function", "l", None)
    assert ["+", None, 2, "  r.x = 1;"] in lines and lines[0][0] == "@"
    assert not any(line[0] == "-" for line in lines)


def test_short_scalars_stay_before_and_after():
    assert rows("schedule", "? 0 2 ? * *", "? 0 3 ? * *") == [
        ["schedule", "m", "? 0 2 ? * *", "? 0 3 ? * *"]
    ]
    assert rows("description", MISSING, "x") == [["description", "a", None, "x"]]


def test_secrets_inside_a_changed_object_stay_masked():
    old = {"auth": {"type": "basic", "password": "hunter2"}}
    new = {"auth": {"type": "basic", "password": "s3cret-long-" * 20}}
    shown = rows("http", old, new)
    assert shown == [["http.auth.password", "m", MASK, MASK]]
    assert "hunter2" not in repr(shown)


def test_named_path_names_exports_imports_and_connections():
    path = "pageGenerators[_exportId=exp1].schedule"
    assert named_path(path, names) == 'pageGenerators[export "Get orders"].schedule'
    assert named_path("routers[_id=r1].branches", names) == "routers[_id=r1].branches"


def test_a_long_script_emptied_is_still_a_line_diff():
    ((_path, kind, _old, lines),) = rows("content", "line one\nline two\n", "")
    assert kind == "l" and [line[0] for line in lines[1:]] == ["-", "-"]


def test_a_step_is_named_as_it_was_called_at_the_moment_of_the_change():
    from flowaudit.report.step_names import NameHistory

    history = NameHistory([
        ("import", "imp1", "2026-01-01T00:00:00.000000Z", "Old name"),
        ("import", "imp1", "2026-02-01T10:00:00.500000Z", "New name"),
    ])  # fmt: skip
    assert (
        history.name_at("import", "imp1", "2025-12-01T00:00:00Z") == "Old name"
    )  # before: the first
    assert history.name_at("import", "imp1", "2026-02-01T10:00:00Z") == "Old name"
    assert history.name_at("import", "imp1", "2026-02-01T10:00:01Z") == "New name"
    assert history.name_at("import", "other", "2026-02-01T10:00:01Z") == "other"
