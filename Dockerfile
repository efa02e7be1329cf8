# pscale-bot: Slack chat-ops for PlanetScale.
#   docker build -t pscale-bot .
#   docker run -p 3000:3000 pscale-bot                                               # the sandbox, on http://127.0.0.1:3000/
#   docker run -d --env-file prod.env -v pscale-data:/data -p 3000:3000 pscale-bot  # Socket Mode or HTTP mode
# On SQLite (the default below), one container per database file; with BOT_DATABASE=postgresql://… run as many as
# you like (docs/interface.md §7, deploy/compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Only what `pip install .` needs: a change to the tests does not rebuild this layer.
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir . \
    && groupadd --system --gid 10001 pscale \
    && useradd --system --uid 10001 --gid pscale --home-dir /nonexistent --shell /usr/sbin/nologin pscale \
    && mkdir /data \
    && chown pscale:pscale /data

# The SQLite file (and its -wal/-shm companions) lives on a volume so tokens and cards survive upgrades.
ENV BOT_DATABASE=/data/pscale-bot.sqlite3 \
    PORT=3000
VOLUME ["/data"]

# Numeric, so orchestrators that insist on non-root (Kubernetes runAsNonRoot) can verify it.
USER 10001:10001
EXPOSE 3000

# No curl in a slim image: the check is the bot's own stdlib probe of /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]

# Every interface: a container's loopback is its own, so the sandbox too must listen where `-p` forwards to.
CMD ["pscale-bot", "run", "--host", "0.0.0.0"]
