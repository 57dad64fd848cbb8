# syntax=docker/dockerfile:1
# kserve-doctor: gunicorn serving service:create_app(), as a non-root user on a read-only root filesystem.
#   docker build -t kserve-doctor:0.1.0 .
# Only /tmp is written (the Helm chart mounts an emptyDir there); gunicorn's heartbeat files go to /dev/shm.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
RUN python -m venv /opt/venv
COPY requirements-runtime.lock /tmp/requirements-runtime.lock
RUN /opt/venv/bin/pip install --no-cache-dir --require-virtualenv -r /tmp/requirements-runtime.lock
# The application runs from its source tree (gunicorn imports `service` from its working directory), so the
# data files beside the code (service/diagnosis/codes.yaml) come along without packaging metadata.
COPY gunicorn.conf.py ./
COPY service ./service
COPY remediations ./remediations
COPY core ./core
# Byte-compile now: the root filesystem is read-only at run time.
RUN /opt/venv/bin/python -m compileall -q /app

FROM python:3.11-slim-bookworm
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="kserve-doctor" \
      org.opencontainers.image.description="Tells a platform team why a KServe InferenceService is not serving, with the evidence, and offers safe opt-in fixes." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11-slim-bookworm"
RUN groupadd --system --gid 10001 doctor \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin doctor
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    TMPDIR=/tmp
WORKDIR /app
USER 10001:10001
EXPOSE 8080
# gunicorn.conf.py in /app sets the bind address (0.0.0.0:8080), workers, threads and timeouts.
ENTRYPOINT ["gunicorn"]
CMD ["service:create_app()"]
