"""Captured payloads and secrets are scrubbed the same way in documents and in audit
records, idempotently; a never-stored field is dropped."""

from __future__ import annotations

import re

import pytest

from flowaudit.documents.paths import set_path, split_path
from flowaudit.documents.scrub import (
    MASK,
    SECRET_KEYS,
    Scrubber,
    ScrubPolicy,
    captured_marker,
    is_marker,
)

CUSTOMER = {"email": "jane.doe@customer-mail.example", "phone": "+49 30 1234567"}


def test_a_captured_field_becomes_a_marker_with_its_hash_and_size_at_any_depth():
    doc = {
        "name": "Get orders",
        "sampleData": [CUSTOMER],
        "nested": {"mockResponse": {"_headers": {"set-cookie": "s=1"}}},
    }
    scrubber = Scrubber()
    out = scrubber.document(doc, "export")
    assert is_marker(out["sampleData"]) and is_marker(out["nested"]["mockResponse"])
    assert "jane.doe" not in str(out) and "s=1" not in str(out)
    assert re.search(r"sha256 [0-9a-f]{64}, \d+ bytes\]$", out["sampleData"])
    assert scrubber.counts.captured == 2
    assert doc["sampleData"] == [CUSTOMER]  # the input is not changed


def test_a_changed_payload_gives_another_marker_and_the_same_payload_the_same():
    assert captured_marker([CUSTOMER]) == captured_marker([dict(CUSTOMER)])
    assert captured_marker([CUSTOMER]) != captured_marker([{**CUSTOMER, "phone": "+49 30 7654321"}])


def test_store_captured_data_keeps_payloads_but_still_masks_secrets():
    scrubber = Scrubber(ScrubPolicy(keep_captured=True))
    out = scrubber.document({"sampleData": [CUSTOMER], "http": {"password": "hunter22"}})
    assert out["sampleData"] == [CUSTOMER]
    assert out["http"]["password"] == MASK


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer 3f9a1c77d2e84b0aa5c6", "3f9a1c77d2e84b0aa5c6"),
        (
            "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijk",
            "eyJhbGciOiJIUzI1NiJ9",
        ),
        ("https://celigo:s3cr3t-pw@ftp.example.com/in", "s3cr3t-pw"),
        ("/orders?api_key=AB12cd34&limit=5", "AB12cd34"),
        ("const password = 'p4ssw0rd!';", "p4ssw0rd!"),
        ("key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow"),
        ("Set-Cookie: _session=abc123; path=/", "_session=abc123"),
    ],
)
def test_secret_looking_values_inside_any_string_are_masked(text, secret):
    scrubber = Scrubber()
    out = scrubber.document({"description": text})
    assert secret not in out["description"] and MASK in out["description"]
    assert scrubber.counts.secrets >= 1


@pytest.mark.parametrize(
    "text",
    ["Bearer tokens are described in the runbook", "Asia/Tokyo", "authType token", "? 0 2 ? * *",
     "https://api.example.com/v1/orders?limit=5"],
)  # fmt: skip
def test_ordinary_text_is_left_alone(text):
    scrubber = Scrubber()
    assert scrubber.document({"note": text}) == {"note": text}
    assert scrubber.counts.secrets == 0


def test_values_under_secret_keys_are_masked_but_settings_objects_are_walked():
    doc = {
        "http": {"auth": {"token": {"token": "******", "location": "header", "scheme": "Bearer"}}},
        "headers": {"Set-Cookie": ["a=1", "b=2"], "X-Api-Key": "k-123456"},
        "tokenType": "ashare",
        "client_secret": "abcdef",
    }
    out = Scrubber().document(doc)
    assert (
        out["http"]["auth"]["token"] == doc["http"]["auth"]["token"]
    )  # masked already, settings kept
    assert out["headers"] == {"Set-Cookie": [MASK, MASK], "X-Api-Key": MASK}
    assert out["tokenType"] == "ashare" and out["client_secret"] == MASK


def test_an_api_tokens_own_value_is_dropped_not_masked():
    scrubber = Scrubber()
    out = scrubber.document({"_id": "t1", "name": "n", "token": "****abcd"}, "accesstoken")
    assert out == {"_id": "t1", "name": "n"}
    record = {"resourceType": "accesstoken", "fieldChanges": [{"fieldPath": "token", "newValue": "****abcd"},
                                                               {"fieldPath": "name", "newValue": "m"}]}  # fmt: skip
    assert scrubber.audit_record(record)["fieldChanges"] == [{"fieldPath": "name", "newValue": "m"}]
    assert scrubber.counts.dropped == 2


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        ("sampleData", [CUSTOMER], [{**CUSTOMER, "phone": "x"}]),
        ("http.password", "old-secret", "new-secret"),
        ("http", {"password": "a1"}, {"password": "b2", "relativeURI": "/x?token=abc123"}),
        ("content", "let password = 'abc123';", "let password = 'xyz789';"),
        ("hooks.headers.set-cookie", ["a=1"], ["b=2"]),
        ("name", "plain", "plainer"),
    ],
)
def test_replaying_a_scrubbed_record_over_a_scrubbed_document_gives_the_scrubbed_result(
    path, old, new
):
    """Audit values are scrubbed as their path says they would be in the document, so the
    history's replay of stored records arrives at the stored (scrubbed) documents."""
    parts = split_path(path)
    before = set_path({"name": "x"}, parts, old)
    after = set_path({"name": "x"}, parts, new)
    scrubber = Scrubber()
    record = {
        "resourceType": "export",
        "fieldChanges": [{"fieldPath": path, "oldValue": old, "newValue": new}],
    }
    change = scrubber.audit_record(record)["fieldChanges"][0]
    assert set_path(scrubber.document(before), parts, change["newValue"]) == scrubber.document(
        after
    )
    assert set_path(scrubber.document(after), parts, change["oldValue"]) == scrubber.document(
        before
    )


def test_scrubbing_twice_changes_nothing_more():
    doc = {"sampleData": [CUSTOMER], "http": {"relativeURI": "/o?api_key=abc12345", "password": "x1"},
           "content": "fetch(url, { headers: { Authorization: 'Bearer 3f9a1c77d2e84b0aa5c6' } })"}  # fmt: skip
    once = Scrubber().document(doc)
    again = Scrubber()
    assert again.document(once) == once and again.counts.as_dict() == {
        "captured_fields": 0,
        "secrets_masked": 0,
        "never_stored_dropped": 0,
    }


def test_records_with_nothing_to_scrub_are_returned_as_they_are():
    record = {
        "resourceType": "flow",
        "fieldChanges": [{"fieldPath": "disabled", "oldValue": True, "newValue": False}],
    }
    assert Scrubber().audit_record(record) is record
    doc = {"name": "Orders", "schedule": "? 0 2 ? * *"}
    assert Scrubber().document(doc) is doc


def test_every_secret_key_is_found_by_the_first_look():
    """may_hold and the path trigger must never skip a document a walk would change."""
    scrubber = Scrubber()
    for key in SECRET_KEYS:
        for spelled in (key, key.upper(), key.replace("secret", "_secret")):
            assert scrubber.may_hold(f'{{"{spelled}":"v"}}'.encode()), spelled
    for name in ScrubPolicy().captured_fields:
        assert scrubber.may_hold(f'{{"{name}":1}}'.encode()), name


def test_the_first_look_at_a_page_of_records_skips_none_that_one_by_one_would_walk():
    """may_hold_many (Arrow's RE2 over a page) says yes wherever may_hold does: every secret
    key, captured field and secret-looking text, in any case, among documents of a simulated
    account and UTF-8 text; and no to the ordinary job records that make most pages."""
    import orjson

    from flowaudit.simulate import SimulatedAccount

    account = SimulatedAccount.generate("small", seed=2)
    state = account.state_at(account.now)  # {type: {id: document}}
    texts = [orjson.dumps(doc) for docs in state.values() for doc in docs.values()]
    for key in [*SECRET_KEYS, *ScrubPolicy().captured_fields]:
        for spelled in (key, key.upper(), key.title()):
            texts.append(orjson.dumps({spelled: "v", "note": "Grüße, 東京"}))
    for text in ("Bearer abc.def", "api-key=1", "apiXkey", "api\u00e9key", "x://y", "AKIAX", "akia",
                 "ghp_abc", "Sig=1", "PASSWD", "k_LIVE_1", "Asia/Tokyo", "plain"):  # fmt: skip
        texts.append(orjson.dumps({"description": text}))
    job = {"_id": "6ae69bf8b7d6009c1627c6e4", "type": "flow", "status": "completed",
           "startedAt": "2026-11-01T01:55:06.428Z", "numError": 0}  # fmt: skip
    texts += [orjson.dumps(job)] * 20
    scrubber = Scrubber()
    one_by_one = [scrubber.may_hold(text) for text in texts]
    at_once = scrubber.may_hold_many(texts)
    assert len(at_once) == len(texts)
    skipped = [text for text, one, many in zip(texts, one_by_one, at_once, strict=True) if one and not many]
    assert skipped == []
    assert sum(one_by_one) > len(SECRET_KEYS) and not any(at_once[-20:])
