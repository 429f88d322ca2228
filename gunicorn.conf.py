"""gunicorn's settings for production: docker-compose.yml and the Dockerfile run
`gunicorn config.wsgi -c gunicorn.conf.py`.

The access log goes to standard output through a logger that redacts single-use link tokens from every line
(core/gunicorn_logging.py, issue 26): the request line, path, query string and Referer of
`/minutes/link/<token>/`, `/password/<uidb64>/<token>/` and `/account/email/<token>/` never reach a log.
"""

bind = "0.0.0.0:8000"
workers = 3
accesslog = "-"
logger_class = "core.gunicorn_logging.RedactingLogger"
