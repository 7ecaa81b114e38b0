"""Upload tokens are scoped to one job and expire."""

from __future__ import annotations

import pytest

from framecast.errors import AuthError
from framecast.jobs.upload_token import UploadTokens

TOKENS = UploadTokens(b"s" * 32)


def test_a_token_is_valid_for_its_job_until_it_expires() -> None:
    TOKENS.verify(TOKENS.issue("job1", expires_at=1000), "job1", now=999)


def test_a_token_for_another_job_is_refused() -> None:
    with pytest.raises(AuthError, match="another job"):
        TOKENS.verify(TOKENS.issue("job1", 1000), "job2", now=0)


def test_an_expired_token_is_refused() -> None:
    with pytest.raises(AuthError, match="expired"):
        TOKENS.verify(TOKENS.issue("job1", 1000), "job1", now=1001)


def test_a_forged_or_altered_token_is_refused() -> None:
    token = TOKENS.issue("job1", 1000)
    with pytest.raises(AuthError, match="signature"):
        TOKENS.verify(token.replace("1000", "9999"), "job1", now=0)
    with pytest.raises(AuthError, match="signature"):
        UploadTokens(b"t" * 32).verify(token, "job1", now=0)
