"""Settings come from the environment, with errors naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from framecast.config import Settings
from framecast.errors import ConfigError


def test_defaults_run_a_complete_local_service() -> None:
    settings = Settings.from_env({})
    assert (settings.port, settings.backend, settings.output_ttl_seconds) == (3000, "local", 3600)
    assert settings.output_path == Path("data/output")
    assert settings.database_path == Path("data/framecast.db")
    assert settings.render_batch_size >= 1
    assert settings.encoding.x264_crf == 23 and settings.encoding.nvenc_preset == "p4"


def test_values_are_read_and_keys_split_on_commas() -> None:
    settings = Settings.from_env(
        {
            "PORT": "8080",
            "X_API_KEY": " a-key-1234 ,b-key-1234,",
            "PUBLIC_BASE_URL": "https://x/",
            "FRAMECAST_ENCODER": "X264",
            "BATCH_SIZE": "3",
        }
    )
    assert settings.port == 8080
    assert settings.api_keys == ("a-key-1234", "b-key-1234")
    assert settings.public_base_url == "https://x"
    assert settings.encoding.encoder == "x264"
    assert settings.render_batch_size == 3


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORT": "abc"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"FRAMECAST_ENCODER": "gpu"}, "FRAMECAST_ENCODER"),
        ({"X264_PRESET": "warp"}, "X264_PRESET"),
        ({"FETCH_ALLOW_PRIVATE": "maybe"}, "FETCH_ALLOW_PRIVATE"),
        ({"PUBLIC_BASE_URL": "clips.example.com"}, "PUBLIC_BASE_URL"),
        ({"OUTPUT_TTL_SECONDS": "0"}, "OUTPUT_TTL_SECONDS"),
        ({"FRAMECAST_BACKEND": "cloud"}, "FRAMECAST_BACKEND"),
        ({"DATABASE_URL": "postgres://x"}, "DATABASE_URL"),
    ],
)
def test_bad_values_are_refused_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env).database_path  # noqa: B018 - DATABASE_URL is checked on use
