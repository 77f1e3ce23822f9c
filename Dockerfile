# hubnews: slim, non-root, the database on the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HUBNEWS_CONFIG=/app/config/hubnews.toml \
    HUBNEWS_DB=/data/hubnews.db

WORKDIR /app
COPY pyproject.toml README.md LICENSE NOTICE ./
COPY bot ./bot
COPY config ./config
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin hubnews \
    && mkdir -p /data && chown hubnews /data

USER 10001
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["hubnews"]
CMD ["run"]
