"""A flow's schedule in words (flowaudit.report.schedule_words)."""

import pytest

from flowaudit.report.schedule_words import schedule_in_words


@pytest.mark.parametrize(
    ("cron", "zone", "words"),
    [
        ("? 0 3 ? * 2-6", "Europe/Berlin", "at 03:00, Monday to Friday (Europe/Berlin)"),
        ("? 0 2 ? * *", "America/Los_Angeles", "at 02:00, every day (America/Los_Angeles)"),
        ("? 30 7 ? * *", None, "at 07:30, every day (the account's time zone)"),
        ("? 15 6,18 ? * *", "UTC", "at 06:15 and 18:15, every day (UTC)"),
        ("? 0 */6 ? * *", "UTC", "every 6 hours at :00, every day (UTC)"),
        ("? 45 */1 ? * *", "UTC", "every hour at :45, every day (UTC)"),
        ("? */15 * ? * *", "Asia/Tokyo", "every 15 minutes, every day (Asia/Tokyo)"),
        ("? 0 9 ? * 2", "Europe/Paris", "at 09:00, on Monday (Europe/Paris)"),
        ("? 0 9 ? * 1,7", "Europe/Paris", "at 09:00, Sunday and Saturday (Europe/Paris)"),
        ("? 0 9 ? * MON-FRI", "Europe/Paris", "at 09:00, Monday to Friday (Europe/Paris)"),
        ("? 0 9 ? * 2,3", "UTC", "at 09:00, Monday and Tuesday (UTC)"),
        ("0 0 22 ? * 2-6,7", "UTC", "at 22:00, Monday to Friday and Saturday (UTC)"),
    ],
)
def test_known_schedules_read_as_words_with_their_time_zone(cron, zone, words):
    assert schedule_in_words(cron, zone) == words


@pytest.mark.parametrize(
    "cron",
    [
        "",
        None,
        "0 3 * * *",
        "? 0 3 15 * *",
        "? 0 3 ? 1 *",
        "? 0 25 ? * *",
        "? 0 3 ? * 8",
        "? 0 3 ? * 6-2",
        "? 0 3-5 ? * *",
        "? L 3 ? * *",
        "? 0 3 ? * 2#1",
    ],
)
def test_unknown_forms_are_none_so_the_page_shows_the_raw_text(cron):
    assert schedule_in_words(cron, "UTC") is None
