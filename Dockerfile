# Two stages: Node builds static/dist, and the image that runs is Python only.

# 1. static/dist from package-lock.json (see scripts/build-static.sh): GOV.UK
#    Frontend's JavaScript and assets, our Sass compiled. sass needs Node >= 20.19.
FROM node:22-bookworm-slim AS static
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/build-static.sh scripts/
COPY static/src static/src
RUN sh scripts/build-static.sh

# 2. The app: production requirements only (no test or lint tools, no Node).
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    STATIC_ROOT=/app/staticfiles VAR_DIR=/tmp/strategy-discussions

WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=static /app/static/dist static/dist
# collectstatic imports the settings, which create VAR_DIR: remove it so that
# the app user creates its own at run time instead of finding root's.
RUN DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
 && rm -rf "$VAR_DIR" \
 && useradd --uid 1000 --no-create-home app
USER app
EXPOSE 8000
# gunicorn.conf.py: bind, workers, and an access log that redacts single-use link tokens.
CMD ["gunicorn", "config.wsgi", "-c", "gunicorn.conf.py"]
