# Contact Check in a container: `docker compose up` (compose.yaml) runs it with PostgreSQL.
# Settings come from the environment only (see .env.example); nothing secret is in the image.
#
#   docker build -t contact-check .
#   docker run --env-file .env -p 3000:3000 contact-check
#
# Build stage: every dependency from requirements.lock, each checked against its hash, then
# Contact Check itself (without dependencies: the lock already holds them).
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/contact-check
COPY requirements.lock ./
RUN /opt/contact-check/bin/pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN /opt/contact-check/bin/pip install --no-deps . \
    && /opt/contact-check/bin/python -m bot --version

# Run stage: the virtualenv only, run by a user that is not root and owns only its data folder.
FROM python:3.11-slim-bookworm
ENV PATH=/opt/contact-check/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 contact-check \
    && useradd --system --uid 10001 --gid contact-check --no-create-home \
       --home-dir /var/lib/contact-check --shell /usr/sbin/nologin contact-check \
    && install -d -o contact-check -g contact-check -m 0700 /var/lib/contact-check
COPY --from=build /opt/contact-check /opt/contact-check
# The working folder: where the default SQLite database (sqlite:///contact-check.db) would live.
# Mount a volume here, or set DATABASE_URL to PostgreSQL (compose.yaml does).
WORKDIR /var/lib/contact-check
VOLUME ["/var/lib/contact-check"]
USER 10001:10001
EXPOSE 3000
# /healthz answers 200 once migrations ran and the reminder dispatcher runs (503 otherwise).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["serve"]
