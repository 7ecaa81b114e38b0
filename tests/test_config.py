"""Settings come from the environment, with errors naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from framecast.config import FetchConfig, Settings
from framecast.errors import ConfigError
from framecast.worker.media_kinds import MediaKind


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
        ({"MAX_VIDEO_BYTES": "2GB"}, "MAX_VIDEO_BYTES"),
        ({"MAX_AUDIO_BYTES": "-1"}, "MAX_AUDIO_BYTES"),
        ({"MAX_SUBTITLE_BYTES": "1023"}, "MAX_SUBTITLE_BYTES"),
        ({"MAX_FONT_BYTES": "0"}, "MAX_FONT_BYTES"),
        ({"MAX_IMAGE_BYTES": "1e6"}, "MAX_IMAGE_BYTES"),
    ],
)
def test_bad_values_are_refused_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env).database_path  # noqa: B018 - DATABASE_URL is checked on use


def test_each_media_kind_has_its_default_download_cap() -> None:
    fetch = Settings.from_env({}).fetch
    assert {kind: fetch.max_bytes_for(kind) for kind in MediaKind} == {
        MediaKind.IMAGE: 50 * 1024**2,
        MediaKind.VIDEO: 2 * 1024**3,
        MediaKind.AUDIO: 500 * 1024**2,
        MediaKind.SUBTITLES: 5 * 1024**2,
        MediaKind.FONT: 50 * 1024**2,
    }
    assert fetch == FetchConfig()


@pytest.mark.parametrize("kind", list(MediaKind))
def test_each_cap_is_read_from_the_setting_its_kind_names(kind: MediaKind) -> None:
    fetch = Settings.from_env({kind.cap_setting: "123456"}).fetch
    assert fetch.max_bytes_for(kind) == 123456
    assert [other for other in MediaKind if fetch.max_bytes_for(other) == 123456] == [kind]
