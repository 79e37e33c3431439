"""Line diffs of code carry each line's number in the old and the new text."""

from flowaudit.transform.line_diff import line_diff

OLD = "function a () {\n  const x = 1;\n  return x;\n}\n"
NEW = "function a () {\n  const x = 2;\n  log(x);\n  return x;\n}\n"


def test_a_changed_and_an_added_line_with_their_numbers():
    diff = line_diff(OLD, NEW)
    assert (diff.added, diff.removed) == (2, 1)
    (hunk,) = diff.hunks
    assert hunk.header == "@@ -1,4 +1,5 @@"
    lines = [(line.kind, line.old_number, line.new_number, line.text) for line in hunk.lines]
    assert ("-", 2, None, "  const x = 1;") in lines
    assert ("+", None, 2, "  const x = 2;") in lines and ("+", None, 3, "  log(x);") in lines
    assert (" ", 3, 4, "  return x;") in lines


def test_far_apart_changes_are_separate_hunks_with_three_lines_of_context():
    old = "".join(f"line {n}\n" for n in range(1, 31))
    new = old.replace("line 2\n", "line two\n").replace("line 28\n", "line twenty-eight\n")
    diff = line_diff(old, new)
    assert [h.header for h in diff.hunks] == ["@@ -1,5 +1,5 @@", "@@ -25,6 +25,6 @@"]


def test_no_old_text_is_all_added_and_a_long_diff_is_cut_and_counted():
    assert line_diff(None, "a\nb\n").hunks[0].header == "@@ -0,0 +1,2 @@"
    diff = line_diff("", "".join(f"{n}\n" for n in range(1000)), max_lines=100)
    assert sum(len(h.lines) for h in diff.hunks) == 100 and diff.left_out == 900
    assert not line_diff(OLD, OLD).changed
