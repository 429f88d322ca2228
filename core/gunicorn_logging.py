"""gunicorn's logger with single-use link tokens redacted (issue 26, finding 5): set by gunicorn.conf.py.

The access log line holds the request line, the path, the query string (a sign-in redirect's `next=`) and the
Referer (a link page posting back to itself); gunicorn's error log names the URI of a request that failed. Every
text atom of the access log, and every record of both logs, is redacted by core.logredact.
"""

from typing import Any

from gunicorn.glogging import Logger

from core.logredact import RedactTokens, redact


class RedactingLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactTokens) for f in log.filters):
                log.addFilter(RedactTokens())

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict[str, Any]:
        return {
            key: redact(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }
