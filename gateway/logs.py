"""Logging for `intake serve`: the one place handlers, formats and levels are set.

A desk reads the INFO lines: one per ticket opened, acknowledgement sent, page sent or
acknowledged, each naming the ticket number and never a body or a full phone number (numbers
are masked). aiosmtpd's per-connection chatter ("Connection lost during _handle_client()" on
every QUIT, peers, commands) is demoted to DEBUG: useful when debugging a client, noise
otherwise. `--log-format json` writes one JSON object a line for
log shippers.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from gateway.terminal import clean

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# aiosmtpd logs every connection, command and disconnect under "mail.log" at INFO and a few
# per-client events (unrecognised command) at WARNING. Errors stay errors.
_CHATTY_LOGGERS = ("mail.log", "mail.debug")

# Attributes every LogRecord has; anything else was passed with `extra=` and goes into JSON.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class DemoteChatter(logging.Filter):
    """Re-levels records of chatty third-party loggers below ERROR to DEBUG, and lets them
    through only if the handler's threshold admits DEBUG."""

    def __init__(self, threshold: int) -> None:
        super().__init__()
        self.threshold = threshold

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR and record.name.startswith(_CHATTY_LOGGERS):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return self.threshold <= logging.DEBUG
        return True


class TextFormatter(logging.Formatter):
    """The usual one-line format, with terminal escapes and bidi controls removed: a message
    may quote what a customer or a remote server sent, and stderr is often a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return clean(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, any `extra`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        # ensure_ascii: control and bidi characters travel as \u escapes, never raw.
        return json.dumps(line, default=str)


def configure_logging(
    level: str | int = "INFO", log_format: str = "text", stream: TextIO | None = None
) -> logging.Handler:
    """Install one handler on the root logger (replacing any earlier one from here)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    threshold = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(threshold, int):
        raise ValueError(f"not a log level: {level!r} (use DEBUG, INFO, WARNING or ERROR)")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT))
    handler.addFilter(DemoteChatter(threshold))
    handler.set_name("intake")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "intake"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(threshold)
    return handler
