# The RunPod Serverless worker: `framecast worker` (the SDK's worker loop around handle()).
# Build from the repository root: docker build -f docker/worker.Dockerfile -t framecast-worker .
#
# NVENC needs no CUDA toolkit, only the driver's libnvidia-encode, which the NVIDIA container
# runtime mounts when NVIDIA_DRIVER_CAPABILITIES includes "video". The ffmpeg binary shipped in
# the imageio-ffmpeg wheel is built with h264_nvenc; the worker probes it once at start and falls
# back to libx264 (logged) when the probe fails.
# Ubuntu 24.04 ships Python 3.12 (framecast needs >= 3.11).
FROM nvidia/cuda:12.6.3-runtime-ubuntu24.04

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,video,utility \
    FRAMECAST_ENCODER=auto \
    RUNPOD_LOG_LEVEL=INFO \
    PATH=/opt/venv/bin:$PATH

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        python3 python3-venv ca-certificates libglib2.0-0t64 \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/venv

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install '.[worker]' \
    && python -c "import imageio_ffmpeg, runpod; print(imageio_ffmpeg.get_ffmpeg_exe())"

# One-shot mode (no RUNPOD_WEBHOOK_GET_JOB): `docker run … framecast worker` runs this file.
COPY test_input.json ./

CMD ["framecast", "worker"]
