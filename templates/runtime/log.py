"""The package logger, and the ``WECHATPAY_LOG`` switch.

The logger is named after the generated client's top-level package, so users configure it with
one ``logging.getLogger("<package>")``. Log records carry method, path, status, request
id, attempt and timing: never keys, Authorization values, signatures or bodies.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

__all__ = ["LOGGER_NAME", "configure_from_env", "logger"]

LOGGER_NAME = __name__.split(".")[0]
logger = logging.getLogger(LOGGER_NAME)

ENV_VAR = "WECHATPAY_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_lock = threading.Lock()
_configured = False


def configure_from_env() -> None:
    """Attach a stderr handler once if ``WECHATPAY_LOG`` is ``debug`` or ``info``.

    Called when a client is created; a no-op unless the variable is set, and never twice.
    """
    global _configured
    if _configured:
        return
    with _lock:
        if _configured:
            return
        _configured = True
        level = _LEVELS.get(os.environ.get(ENV_VAR, "").strip().lower())
        if level is None:
            return
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(level)
