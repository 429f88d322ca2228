"""A refusal is not a fault. Django logs every PermissionDenied a view raises (a server-side role check, answered
403, or 404 where the user may not know the record exists) as a warning with its whole traceback: an operator reading
the log sees a stack for each refused click. The warning's line stays ("Forbidden (Permission denied): /path"); its
traceback goes. Only Django's request log is touched: a PermissionDenied logged anywhere else (a task's) and any
other exception keep their traceback."""

import logging

from django.core.exceptions import PermissionDenied


class RefusalWithoutTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
