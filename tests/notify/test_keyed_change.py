"""The digest says a list's or a long string's change as the report does (keyed entries,
changed lines), never as two cut JSON blobs."""

from flowaudit.attention import keyed_change


def test_a_mapping_change_is_named_by_its_keyed_entries():
    old = [
        {"generate": "Betrag", "extract": "amount"},
        {"generate": "Kunde", "extract": "customer"},
    ]
    new = [{"generate": "Kunde", "extract": "client"}]
    said = keyed_change("mapping.fields", old, new)
    assert said == "[generate=Betrag] removed; [generate=Kunde].extract: customer → client"


def test_many_entries_are_counted_and_scalars_stay_before_and_after():
    old = [{"_importId": f"i{n}"} for n in range(5)]
    assert keyed_change("pageProcessors", old, []).endswith("; and 2 more")
    assert keyed_change("disabled", False, True) == "false → true"


def test_a_long_string_is_said_as_its_changed_lines():
    assert keyed_change("hooks.function", "a\nb\nc", "a\nB\nc\nd") == "2 line(s) added, 1 removed"
