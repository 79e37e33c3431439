"""Secret-looking values are masked in documents and in audit values, by a setting."""

from flowaudit.config import DEFAULT_SECRET_FIELD_PATTERN, resolve_settings
from flowaudit.report.masking import MASK, mask_document, mask_field_value

CONNECTION = {
    "name": "Shop",
    "rest": {"baseURI": "https://shop.example", "bearerToken": "abc123", "authType": "token"},
    "http": {"auth": {"basic": {"username": "ann", "password": "hunter2"}}},
    "credentials": {"clientId": "id-1", "clientSecret": "s3"},
    "enabled": True,
}


def test_secret_named_fields_are_masked_at_any_depth():
    masked = mask_document(CONNECTION, DEFAULT_SECRET_FIELD_PATTERN)
    assert masked["rest"] == {"baseURI": "https://shop.example", "bearerToken": MASK, "authType": "token"}
    assert masked["http"]["auth"]["basic"] == {"username": "ann", "password": MASK}
    assert masked["credentials"] == {"clientId": MASK, "clientSecret": MASK}
    assert masked["enabled"] is True
    assert CONNECTION["rest"]["bearerToken"] == "abc123"


def test_audit_old_and_new_values_are_masked_by_their_path():
    assert mask_field_value("http.auth.basic.password", "old-pass", DEFAULT_SECRET_FIELD_PATTERN) == MASK
    assert mask_field_value("rest", {"bearerToken": "t", "baseURI": "u"}, DEFAULT_SECRET_FIELD_PATTERN) == {
        "bearerToken": MASK,
        "baseURI": "u",
    }
    assert mask_field_value("name", "Orders", DEFAULT_SECRET_FIELD_PATTERN) == "Orders"


def test_the_masking_rule_is_a_setting():
    settings = resolve_settings({"secret_field_pattern": r"(?i)username"}, environ={})
    masked = mask_document(CONNECTION, settings.secret_field_pattern)
    assert masked["http"]["auth"]["basic"] == {"username": MASK, "password": "hunter2"}
