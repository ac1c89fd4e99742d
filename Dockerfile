# entraide: the bot in a slim image, run as an unprivileged user, data on a volume.
# Build: docker build -t entraide .   Run: see compose.yaml (or README.md, "Deploy").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ENTRAIDE_DATA_DIR=/data \
    ENTRAIDE_METRICS_LISTEN=127.0.0.1:9464 \
    PATH=/opt/venv/bin:$PATH

# An unprivileged user that owns the data volume and nothing else.
RUN groupadd --system --gid 10001 entraide \
    && useradd --system --uid 10001 --gid entraide --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin entraide \
    && mkdir -p /data \
    && chown entraide:entraide /data \
    && chmod 0700 /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY locales ./locales

# Every dependency is pinned in pyproject.toml; the wheels bundle SQLCipher (no compiler needed).
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir /app

USER 10001:10001
VOLUME ["/data"]
# 8443: webhook server (ENTRAIDE_WEBHOOK_URL set; set ENTRAIDE_WEBHOOK_LISTEN=0.0.0.0:8443 behind your proxy)
EXPOSE 8443

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.monitoring.healthcheck"]

STOPSIGNAL SIGTERM
CMD ["entraide", "run"]
