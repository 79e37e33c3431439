"""extract stage: read an integrator.io account over HTTP into a staging area.

`ApiClient` (retry, rate limit, origin guard) and `fetch_account` (listings + audit log ->
NDJSON files and manifest.json) are the public surface; nothing here touches DuckDB."""

from flowaudit.extract.client import ApiAnswer, ApiClient
from flowaudit.extract.fetch import STRATEGIES, fetch_account
from flowaudit.extract.paging import follow_pages, parse_link_header
from flowaudit.extract.retry import NotFoundError
from flowaudit.extract.staging import (
    AUDIT_FILE,
    LISTING_KINDS,
    MANIFEST_FILE,
    StagingWriteError,
    listing_file,
)

__all__ = [
    "AUDIT_FILE",
    "LISTING_KINDS",
    "MANIFEST_FILE",
    "STRATEGIES",
    "ApiAnswer",
    "ApiClient",
    "NotFoundError",
    "StagingWriteError",
    "fetch_account",
    "follow_pages",
    "listing_file",
    "parse_link_header",
]
