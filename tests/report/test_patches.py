"""Compact patches between document versions: applying them gives back each version."""

from __future__ import annotations

import pytest

from flowaudit.transform.patches import apply_patch, make_patch

FLOW = {
    "name": "Orders",
    "disabled": False,
    "pageProcessors": [{"_importId": "a", "responseMapping": {"fields": []}}, {"_importId": "b"}],
    "settings": {"x": 1, "y": [1, 2]},
}


@pytest.mark.parametrize(
    "target",
    [
        {**FLOW, "disabled": True},  # a scalar changed
        {k: v for k, v in FLOW.items() if k != "settings"},  # a key removed
        {**FLOW, "schedule": "? 0 2 ? * *"},  # a key added
        {
            **FLOW,
            "pageProcessors": [FLOW["pageProcessors"][1], FLOW["pageProcessors"][0]],
        },  # reordered
        {
            **FLOW,
            "pageProcessors": [*FLOW["pageProcessors"], {"_importId": "c"}],
        },  # a step inserted
        {**FLOW, "settings": {"x": 1, "y": [1, 2, 3]}},  # a list grew
        {**FLOW, "settings": None},  # an object became null
    ],
)
def test_a_patch_turns_one_version_into_the_other(target):
    assert apply_patch(FLOW, make_patch(FLOW, target)) == target
    assert apply_patch(target, make_patch(target, FLOW)) == FLOW


def test_an_unchanged_document_needs_no_operation_and_a_small_change_a_small_patch():
    assert make_patch(FLOW, FLOW) == []
    assert make_patch(FLOW, {**FLOW, "disabled": True}) == [["s", ["disabled"], True]]


def test_applying_a_patch_leaves_its_input_alone():
    original = {"a": {"b": 1}}
    apply_patch(original, [["s", ["a", "b"], 2], ["d", ["a"]]])
    assert original == {"a": {"b": 1}}


def test_a_patched_document_shares_what_no_operation_touched_and_changes_nothing_it_shares():
    doc = {
        "steps": [{"_exportId": "e", "hooks": {"pre": "a"}}, {"_importId": "i"}],
        "settings": {"x": [1, 2]},
    }
    value = {"pre": "b"}
    ops = [
        ["s", ["steps", 0, "hooks"], value],
        ["s", ["steps", 0, "hooks", "pre"], "c"],
        ["d", ["steps", 1, "_importId"]],
    ]
    patched = apply_patch(doc, ops)
    assert patched == {
        "steps": [{"_exportId": "e", "hooks": {"pre": "c"}}, {}],
        "settings": {"x": [1, 2]},
    }
    assert patched["settings"] is doc["settings"]  # untouched: shared, not copied
    assert doc == {
        "steps": [{"_exportId": "e", "hooks": {"pre": "a"}}, {"_importId": "i"}],
        "settings": {"x": [1, 2]},
    }
    assert value == {"pre": "b"}  # a later operation did not write into the patch's own value


def test_a_patch_whose_path_goes_through_a_value_is_refused():
    with pytest.raises(TypeError):
        apply_patch({"a": "text"}, [["s", ["a", 0], "x"]])
    with pytest.raises(KeyError):
        apply_patch({"a": {}}, [["s", ["a", "missing", "b"], 1]])
