# syntax=docker/dockerfile:1
# Two stages: the build stage installs the locked dependencies (a layer that changes only with
# requirements.lock), then the bot; the runtime stage gets the finished virtual environment and nothing else:
# no pip, setuptools or wheel (in the venv or the base's Python), no test suites or sample data of the libraries.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml setup.py README.md LICENSE ./
COPY bot ./bot
COPY content ./content
COPY locales ./locales
# content/ and locales/ land in /opt/venv/share/brief-bot, where bot/ops/paths.py finds them.
RUN pip install --no-cache-dir --no-deps . && brief-bot check-content > /dev/null
# What only building needs, and the libraries' own tests and sample data, stay in this stage.
RUN pip uninstall --yes pip setuptools wheel \
    && find /opt/venv -depth -type d \( -name tests -o -name sample_data \) -path '*/site-packages/*' \
       -exec rm -rf {} + \
    && rm -f /opt/venv/bin/pip* /opt/venv/bin/wheel /opt/venv/bin/activate* /opt/venv/bin/Activate.ps1


FROM python:3.11-slim

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="brief-bot" \
      org.opencontainers.image.description="Telegram bot delivering the Central Asia Generation Equality Forum policy brief" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT AND CC-BY-NC-4.0"

# container=docker: the log lines carry no timestamp of their own (Docker stamps them); see bot/ops/logs.py.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/bot.sqlite3 \
    WEBHOOK_LISTEN=0.0.0.0 \
    MPLCONFIGDIR=/tmp/matplotlib \
    container=docker

# uid and gid 10001 (a system gid such as 999 is some host group's, e.g. systemd-journal, on a bind mount): a
# bind-mounted data directory must belong to them (chown 10001:10001 DIR; see README). The base's pip,
# setuptools and wheel are removed: nothing is installed at run time.
RUN groupadd --system --gid 10001 brief \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin brief \
    && rm -rf /usr/local/bin/pip* /usr/local/lib/python3.11/site-packages/pip* \
       /usr/local/lib/python3.11/site-packages/setuptools* /usr/local/lib/python3.11/site-packages/wheel* \
    && mkdir -p /data \
    && chown 10001:10001 /data \
    && chmod 0700 /data
COPY --from=build /opt/venv /opt/venv

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["brief-bot", "healthcheck"]
ENTRYPOINT ["brief-bot"]
CMD ["run"]
