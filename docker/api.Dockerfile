# The API service: `framecast serve` (set FRAMECAST_BACKEND=runpod to render on RunPod).
# Build from the repository root: docker build -f docker/api.Dockerfile -t framecast-api .
# Run: docker run -p 3000:3000 -v framecast-data:/data -e PUBLIC_BASE_URL=https://… framecast-api
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data

RUN useradd --create-home --uid 10001 framecast \
    && mkdir -p /data \
    && chown framecast:framecast /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install .

USER framecast
# Jobs (SQLite), generated secrets and, with STORAGE=local, the clips themselves.
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '3000'), timeout=4)"

CMD ["framecast", "serve"]
