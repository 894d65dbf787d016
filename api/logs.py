"""Structured logging: one JSON object per line on standard error, from every logger."""

import logging
import logging.config
from typing import Any

import msgspec

# uvicorn adds `color_message` (the message with terminal colours) to some records.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}
_encoder = msgspec.json.Encoder(enc_hook=repr)  # never fail a log line over a value


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON: time, level, logger, message, and every `extra` field."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _encoder.encode(entry).decode()


def logging_config(level: str) -> dict[str, Any]:
    """The `logging.config.dictConfig` of every Front Office process: one JSON handler on stderr
    that every logger reaches; `frontoffice.*` at `level`, the libraries quieter.

    uvicorn takes it as its `log_config` (and applies it again in each `--workers` process), so
    it installs no plain-text handlers of its own."""

    def through_root(level: str | None = None) -> dict[str, Any]:
        return {"handlers": [], "propagate": True} | ({"level": level} if level else {})

    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "api.logs.JsonFormatter"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "json"}
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
        "loggers": {
            # Its own handler too: building a Litestar app replaces the root logger's handlers.
            "frontoffice": {"handlers": ["stderr"], "propagate": False, "level": level},
            # uvicorn's `log_level` sets uvicorn.error and uvicorn.access; its start-up chatter
            # stays out (`serve` logs one line of its own), its errors come through.
            "uvicorn": through_root("WARNING"),
            "uvicorn.error": through_root(),
            "uvicorn.access": through_root(),
            "litestar": through_root(),
            # fpdf2 subsets fonts with fontTools, which logs each step at INFO.
            "fontTools": through_root("WARNING"),
            "alembic": through_root("WARNING"),
        },
    }


def configure_logging(level: str) -> None:
    """Send every log line to stderr as JSON; `frontoffice.*` at `level`."""
    logging.config.dictConfig(logging_config(level))
