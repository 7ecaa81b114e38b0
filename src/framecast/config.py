"""Settings: the only reader of the environment.

Everything else receives a ``Settings`` (or one of its parts) from its caller.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from framecast.errors import ConfigError
from framecast.worker.media_kinds import MediaKind

ENCODERS = ("auto", "nvenc", "x264")
X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)
PLACEHOLDERS = {"changeme", "change-me", "secret", "your-secret-here", "xxxxxxxxxxxxxxxx"}
NVENC_PRESETS = ("p1", "p2", "p3", "p4", "p5", "p6", "p7")


@dataclass(frozen=True)
class EncoderConfig:
    """How clips are encoded (the worker's part of the settings)."""

    ffmpeg_binary: str | None = None  # None: the imageio-ffmpeg wheel's binary
    encoder: str = "auto"  # auto | nvenc | x264
    x264_preset: str = "veryfast"  # chosen by bench/bench_presets.py, see README
    x264_crf: int = 23
    nvenc_preset: str = "p4"
    nvenc_cq: int = 23
    # ffmpeg keeping a write (or the end of the clip) waiting this long while using no CPU is
    # hung and is killed: a 1080p frame takes milliseconds, a GPU encoder's start seconds.
    stall_seconds: float = 120.0


@dataclass(frozen=True)
class FetchConfig:
    """Limits on downloading source media."""

    allow_private: bool = False
    # A size cap per kind of media, each its own setting (MediaKind.cap_setting names it).
    max_image_bytes: int = 50 * 1024**2
    max_video_bytes: int = 2 * 1024**3
    max_audio_bytes: int = 500 * 1024**2
    max_subtitle_bytes: int = 5 * 1024**2
    max_font_bytes: int = 50 * 1024**2
    max_pixels: int = 100_000_000
    timeout_seconds: float = 30.0
    attempts: int = 3

    def max_bytes_for(self, kind: MediaKind) -> int:
        """The size cap of a download of ``kind``."""
        return {
            MediaKind.IMAGE: self.max_image_bytes,
            MediaKind.VIDEO: self.max_video_bytes,
            MediaKind.AUDIO: self.max_audio_bytes,
            MediaKind.SUBTITLES: self.max_subtitle_bytes,
            MediaKind.FONT: self.max_font_bytes,
        }[kind]


@dataclass(frozen=True)
class Settings:
    """Every setting of the API service and the worker, read once from the environment."""

    host: str = "127.0.0.1"
    port: int = 3000
    api_keys: tuple[str, ...] = ()
    public_base_url: str | None = None
    backend: str = "local"
    data_dir: Path = Path("data")
    output_dir: Path | None = None  # None: DATA_DIR/output
    database_url: str | None = None  # None: sqlite:///DATA_DIR/framecast.db
    output_ttl_seconds: float = 3600.0
    sync_wait_seconds: float = 90.0
    job_timeout_seconds: float = 3600.0
    max_images: int = 500
    max_duration_seconds: float = 60.0
    upload_max_bytes: int = 2 * 1024**3
    max_request_bytes: int = 8 * 1024**2
    # A request's head (request line and headers), the time a client may take to send it and
    # the longest pause in its body: a client that never finishes cannot hold a connection.
    max_header_bytes: int = 32 * 1024
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    base64_upload_max_bytes: int = 512 * 1024**2
    local_workers: int = 1
    webhook_secret: str | None = None  # None: generated once and kept in DATA_DIR
    webhook_attempts: int = 6
    webhook_retry_seconds: float = 10.0  # then ×3: 10, 30, 90, 270, 810 s (20 minutes)
    webhook_timeout_seconds: float = 10.0
    log_format: str = "plain"  # plain | json (framecast.logs)
    # GET /metrics without the API key: for a scraper on a private network (Prometheus can also
    # send the key as a bearer token: see the README).
    metrics_public: bool = False
    # Named tenants, each with its key's hash, role and limits (framecast.api.tenants); None:
    # X_API_KEY's keys are the one tenant, an admin.
    tenants_file: Path | None = None
    # An address that sent this many wrong keys within the window waits (429) before another try.
    wrong_key_limit: int = 10
    wrong_key_window_seconds: float = 60.0
    # runpod backend
    runpod_api_key: str | None = None
    runpod_endpoint_id: str | None = None
    runpod_base_url: str = "https://api.runpod.ai/v2"
    runpod_chunk_size: int = 10
    runpod_max_parallel: int = 4
    # storage
    storage: str = "local"
    s3_endpoint_url: str | None = None  # None: AWS
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_prefix: str = ""
    s3_public_base_url: str | None = None
    s3_delete_expired: bool = True
    # inputs (POST /inputs): kept this long unless ``?ttl=`` asks for another time, up to the max
    input_ttl_seconds: float = 24 * 3600.0
    input_max_ttl_seconds: float = 7 * 24 * 3600.0
    # worker
    work_dir: Path | None = None  # None: the system temp dir
    batch_size: int = 0  # 0: from the CPU quota
    vps_upload_url: str | None = None
    vps_api_key: str | None = None
    encoding: EncoderConfig = field(default_factory=EncoderConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)

    @property
    def output_path(self) -> Path:
        return self.output_dir if self.output_dir is not None else self.data_dir / "output"

    @property
    def database_path(self) -> Path:
        url = self.database_url or f"sqlite:///{self.data_dir / 'framecast.db'}"
        if not url.startswith("sqlite:///"):
            raise ConfigError(f"DATABASE_URL must be sqlite:///PATH, got {url!r}")
        return Path(url.removeprefix("sqlite:///"))

    @property
    def internal_base_url(self) -> str:
        """Where workers on this machine reach the API."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def worker_upload_base_url(self) -> str:
        """Where workers send clips: this machine for the local pool, the public URL otherwise."""
        if self.backend == "local" or not self.public_base_url:
            return self.internal_base_url
        return self.public_base_url

    @property
    def render_batch_size(self) -> int:
        return self.batch_size if self.batch_size > 0 else cpu_quota()

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (default: ``os.environ``), refusing bad values."""
        env = os.environ if env is None else env
        reader = _Reader(env)
        settings = cls(
            host=reader.text("HOST", "127.0.0.1"),
            port=reader.integer("PORT", 3000, low=1, high=65535),
            api_keys=tuple(k.strip() for k in reader.text("X_API_KEY", "").split(",") if k.strip()),
            public_base_url=reader.text("PUBLIC_BASE_URL", "").rstrip("/") or None,
            backend=reader.choice("FRAMECAST_BACKEND", "local", ("local", "runpod")),
            data_dir=Path(reader.text("DATA_DIR", "data")),
            output_dir=Path(v) if (v := reader.text("OUTPUT_DIR", "")) else None,
            database_url=reader.text("DATABASE_URL", "") or None,
            output_ttl_seconds=reader.number("OUTPUT_TTL_SECONDS", 3600.0, low=1),
            sync_wait_seconds=reader.number("SYNC_WAIT_SECONDS", 90.0, low=0),
            job_timeout_seconds=reader.number("JOB_TIMEOUT_SECONDS", 3600.0, low=1),
            max_images=reader.integer("MAX_IMAGES", 500, low=1),
            max_duration_seconds=reader.number("MAX_DURATION_SECONDS", 60.0, low=0.1),
            upload_max_bytes=reader.integer("UPLOAD_MAX_BYTES", 2 * 1024**3, low=1024),
            max_request_bytes=reader.integer("MAX_REQUEST_BYTES", 8 * 1024**2, low=1024),
            max_header_bytes=reader.integer("MAX_HEADER_BYTES", 32 * 1024, low=1024),
            header_timeout_seconds=reader.number("HEADER_TIMEOUT_SECONDS", 10.0, low=0.1),
            body_timeout_seconds=reader.number("BODY_TIMEOUT_SECONDS", 30.0, low=0.1),
            base64_upload_max_bytes=reader.integer(
                "BASE64_UPLOAD_MAX_BYTES", 512 * 1024**2, low=1024
            ),
            local_workers=reader.integer("LOCAL_WORKERS", 1, low=1, high=64),
            webhook_secret=reader.text("WEBHOOK_SECRET", "") or None,
            webhook_attempts=reader.integer("WEBHOOK_ATTEMPTS", 6, low=1, high=20),
            webhook_retry_seconds=reader.number("WEBHOOK_RETRY_SECONDS", 10.0, low=0.01),
            webhook_timeout_seconds=reader.number("WEBHOOK_TIMEOUT_SECONDS", 10.0, low=0.1),
            log_format=reader.choice("LOG_FORMAT", "plain", ("plain", "json")),
            metrics_public=reader.boolean("METRICS_PUBLIC", False),
            tenants_file=Path(v) if (v := reader.text("TENANTS_FILE", "")) else None,
            wrong_key_limit=reader.integer("WRONG_KEY_LIMIT", 10, low=1),
            wrong_key_window_seconds=reader.number("WRONG_KEY_WINDOW_SECONDS", 60.0, low=1),
            runpod_api_key=reader.text("RUNPOD_API_KEY", "") or None,
            runpod_endpoint_id=reader.text("RUNPOD_ENDPOINT_ID", "") or None,
            runpod_base_url=reader.text("RUNPOD_BASE_URL", "https://api.runpod.ai/v2").rstrip("/"),
            runpod_chunk_size=reader.integer("RUNPOD_CHUNK_SIZE", 10, low=1, high=1000),
            runpod_max_parallel=reader.integer("RUNPOD_MAX_PARALLEL", 4, low=1, high=100),
            storage=reader.choice("STORAGE", "local", ("local", "s3")),
            s3_endpoint_url=reader.text("S3_ENDPOINT_URL", "").rstrip("/") or None,
            s3_bucket=reader.text("S3_BUCKET", "") or None,
            s3_region=reader.text("S3_REGION", "us-east-1") or "us-east-1",
            s3_access_key=reader.text("S3_ACCESS_KEY", "") or None,
            s3_secret_key=reader.text("S3_SECRET_KEY", "") or None,
            s3_prefix=reader.text("S3_PREFIX", ""),
            s3_public_base_url=reader.text("S3_PUBLIC_BASE_URL", "").rstrip("/") or None,
            s3_delete_expired=reader.boolean("S3_DELETE_EXPIRED", True),
            input_ttl_seconds=reader.number("INPUT_TTL_SECONDS", 24 * 3600.0, low=1),
            input_max_ttl_seconds=reader.number("INPUT_MAX_TTL_SECONDS", 7 * 24 * 3600.0, low=1),
            work_dir=Path(v) if (v := reader.text("WORK_DIR", "")) else None,
            batch_size=reader.integer("BATCH_SIZE", 0, low=0, high=64),
            vps_upload_url=reader.text("VPS_UPLOAD_URL", "") or None,
            vps_api_key=reader.text("VPS_API_KEY", "") or None,
            encoding=EncoderConfig(
                ffmpeg_binary=reader.text("FFMPEG_BINARY", "") or None,
                encoder=reader.choice("FRAMECAST_ENCODER", "auto", ENCODERS),
                x264_preset=reader.choice("X264_PRESET", EncoderConfig.x264_preset, X264_PRESETS),
                x264_crf=reader.integer("X264_CRF", 23, low=0, high=51),
                nvenc_preset=reader.choice("NVENC_PRESET", "p4", NVENC_PRESETS),
                nvenc_cq=reader.integer("NVENC_CQ", 23, low=0, high=51),
                stall_seconds=reader.number(
                    "FFMPEG_STALL_SECONDS", EncoderConfig.stall_seconds, low=1
                ),
            ),
            fetch=FetchConfig(
                allow_private=reader.boolean("FETCH_ALLOW_PRIVATE", False),
                max_image_bytes=reader.integer(
                    "MAX_IMAGE_BYTES", FetchConfig.max_image_bytes, low=1024
                ),
                max_video_bytes=reader.integer(
                    "MAX_VIDEO_BYTES", FetchConfig.max_video_bytes, low=1024
                ),
                max_audio_bytes=reader.integer(
                    "MAX_AUDIO_BYTES", FetchConfig.max_audio_bytes, low=1024
                ),
                max_subtitle_bytes=reader.integer(
                    "MAX_SUBTITLE_BYTES", FetchConfig.max_subtitle_bytes, low=1024
                ),
                max_font_bytes=reader.integer(
                    "MAX_FONT_BYTES", FetchConfig.max_font_bytes, low=1024
                ),
                max_pixels=reader.integer("MAX_IMAGE_PIXELS", 100_000_000, low=1),
                timeout_seconds=reader.number("FETCH_TIMEOUT_SECONDS", 30.0, low=0.1),
            ),
        )
        if settings.webhook_secret is not None and (
            len(settings.webhook_secret) < 16 or settings.webhook_secret.lower() in PLACEHOLDERS
        ):
            raise ConfigError(
                "WEBHOOK_SECRET is a placeholder or shorter than 16 characters; set a random"
                " secret (or unset it to have one generated in DATA_DIR/webhook_secret)"
            )
        if settings.input_ttl_seconds > settings.input_max_ttl_seconds:
            raise ConfigError(
                f"INPUT_TTL_SECONDS ({settings.input_ttl_seconds:g}) must not exceed"
                f" INPUT_MAX_TTL_SECONDS ({settings.input_max_ttl_seconds:g})"
            )
        if settings.backend == "runpod":
            missing = [
                name
                for name, value in (
                    ("RUNPOD_API_KEY", settings.runpod_api_key),
                    ("RUNPOD_ENDPOINT_ID", settings.runpod_endpoint_id),
                    ("PUBLIC_BASE_URL", settings.public_base_url),
                )
                if not value
            ]
            if missing:
                raise ConfigError(
                    f"FRAMECAST_BACKEND=runpod needs {', '.join(missing)} (RunPod workers upload"
                    " to PUBLIC_BASE_URL, so it must be reachable from the internet)"
                )
        if settings.public_base_url and not settings.public_base_url.startswith(
            ("http://", "https://")
        ):
            raise ConfigError(
                f"PUBLIC_BASE_URL must start with http:// or https://, got "
                f"{settings.public_base_url!r}"
            )
        return settings


def cpu_quota() -> int:
    """CPUs this process may use: the cgroup quota when there is one, else the affinity mask."""
    cpus = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        try:
            quota_us = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
            period_us = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
            if quota_us > 0:
                cpus = min(cpus, max(1, quota_us // period_us))
        except (OSError, ValueError):
            pass
    return max(1, cpus)


class _Reader:
    """Typed reads of environment variables, each error naming the variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str, default: str) -> str:
        return self.env.get(name, default).strip()

    def integer(
        self, name: str, default: int, low: int | None = None, high: int | None = None
    ) -> int:
        raw = self.text(name, "")
        try:
            value = int(raw) if raw else default
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
        _check_range(name, value, low, high)
        return value

    def number(
        self, name: str, default: float, low: float | None = None, high: float | None = None
    ) -> float:
        raw = self.text(name, "")
        try:
            value = float(raw) if raw else default
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
        _check_range(name, value, low, high)
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.text(name, "").lower()
        if not raw:
            return default
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.text(name, default).lower() or default
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
        return value


def _check_range(name: str, value: float, low: float | None, high: float | None) -> None:
    if low is not None and value < low:
        raise ConfigError(f"{name} must be at least {low}, got {value}")
    if high is not None and value > high:
        raise ConfigError(f"{name} must be at most {high}, got {value}")
