# syntax=docker/dockerfile:1
FROM node:20-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci
COPY web/ ./
RUN npm run build

FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core core
COPY db db
COPY broker broker
COPY schema schema
COPY resolvers resolvers
COPY worker worker
COPY api api
# Runtime dependencies only: no test or lint tools in the image.
RUN pip install . && useradd --create-home --uid 10001 careerops
COPY --from=web /src/web/dist web/dist
USER careerops
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["careerops", "api", "--host", "0.0.0.0", "--port", "8000"]
