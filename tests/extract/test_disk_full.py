"""A full disk while staging is one clear line with the database exit code, not a traceback.
/dev/full answers every write with ENOSPC, as a full disk does."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from flowaudit.errors import ExitCode
from flowaudit.extract.client import ApiClient
from flowaudit.extract.fetch import fetch_account
from flowaudit.extract.staging import AUDIT_FILE, MANIFEST_FILE, StagingWriteError
from flowaudit.secrets import Secret
from flowaudit.simulate import SimulatedAccount

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")


def test_a_full_disk_while_staging_is_one_line_with_the_database_exit_code(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=2)
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / AUDIT_FILE).symlink_to("/dev/full")

    async def fetch():
        async with ApiClient(
            account.base_url, Secret(account.token), transport=account.async_transport()
        ) as client:
            return await fetch_account(client, staging)

    with pytest.raises(StagingWriteError) as caught:
        asyncio.run(fetch())
    assert caught.value.exit_code == ExitCode.DATABASE
    assert "No space left on device" in caught.value.message
    assert "\n" not in caught.value.message
    assert not (staging / MANIFEST_FILE).exists()  # an unfinished fetch is never loaded
