# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir -r requirements.lock
COPY service ./service
COPY remediations ./remediations
COPY sandbox ./sandbox
RUN /venv/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11-slim
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin doctor
COPY --from=build /venv /venv
USER 10001
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1
EXPOSE 8080
CMD ["gunicorn", "--bind", "0.0.0.0:8080", "service:create_app()"]
