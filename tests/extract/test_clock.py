"""The fetch's clock (issue 10, items 1 and 19): the observation time is one second after the
latest server `Date` read once the listings are done, bounded by this machine's clock plus
the tolerance; the audit windows tile [from, observation time) with no hole."""

from __future__ import annotations

import itertools
from datetime import timedelta
from email.utils import format_datetime

import httpx

from flowaudit.extract.windows import api_time
from tests.extract.test_fetch import NOW, FakeAccount, fetch


def _date(moment) -> str:
    return format_datetime(moment, usegmt=True)


def _tiles(manifest: dict) -> None:
    windows = sorted(manifest["audit"]["windows"], key=lambda w: w["from"] or "")
    assert windows[-1]["to"] == manifest["observed_at"] == manifest["audit"]["to"]
    assert all(a["to"] == b["from"] for a, b in itertools.pairwise(windows))


def test_a_server_date_a_year_ahead_is_bounded_by_the_local_clock_and_recorded(tmp_path):
    account = FakeAccount([], date=_date(NOW + timedelta(days=365)))
    manifest = fetch(account, tmp_path / "s", wall_clock=lambda: NOW,
                     clock_tolerance=timedelta(seconds=300))  # fmt: skip
    assert manifest["observed_at"] == api_time(NOW + timedelta(seconds=300))
    assert manifest["clock"] == {
        "server_first": api_time(NOW + timedelta(days=365)),
        "server_last": api_time(NOW + timedelta(days=365)),
        "local": api_time(NOW),
        "skew_seconds": 365 * 86400,
        "bounded": True,
    }
    _tiles(manifest)


def test_a_server_clock_ahead_within_the_tolerance_is_trusted(tmp_path):
    account = FakeAccount([], date=_date(NOW + timedelta(seconds=60)))
    manifest = fetch(account, tmp_path / "s", wall_clock=lambda: NOW)
    assert manifest["observed_at"] == api_time(NOW + timedelta(seconds=61))
    assert manifest["clock"]["bounded"] is False and manifest["clock"]["skew_seconds"] == 60
    _tiles(manifest)


def test_the_latest_date_of_any_listing_answer_sets_the_observation_time(tmp_path):
    account = FakeAccount([])
    later = _date(NOW + timedelta(seconds=7))
    plain = account.answer

    def answer(request: httpx.Request) -> httpx.Response:
        response = plain(request)
        if request.url.path == "/v1/connections":  # the slowest listing's last page
            response.headers["Date"] = later
        return response

    account.api.handler = answer
    manifest = fetch(account, tmp_path / "s", wall_clock=lambda: NOW)
    assert manifest["observed_at"] == api_time(NOW + timedelta(seconds=8))
    assert manifest["clock"]["server_last"] == api_time(NOW + timedelta(seconds=7))
    _tiles(manifest)
    # The tail window reads the records made while the listings were read.
    tail = [
        p for p in account.audit_params() if p.get("to") == api_time(NOW + timedelta(seconds=8))
    ]
    assert len(tail) == 1


def test_a_record_made_in_the_second_of_the_date_is_read(tmp_path):
    made = NOW + timedelta(milliseconds=400)  # the Date says 02:00:00 for all of that second
    record = {"_id": "a001", "resourceType": "flow", "_resourceId": "f1", "event": "update",
              "time": api_time(made), "fieldChanges": []}  # fmt: skip
    manifest = fetch(FakeAccount([record]), tmp_path / "s", wall_clock=lambda: NOW)
    assert manifest["audit"]["records"] == 1
