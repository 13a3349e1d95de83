# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The library's log lines (np_log_fn) as records of the logger "netpol".

The C trampoline of the binding (np_swig_log() in bindings/netpol.i) calls
emit() with the GIL held, from whichever thread the library logs in.
"""
import logging

logger = logging.getLogger('netpol')

# enum np_log_level: NP_LOG_ERROR, NP_LOG_WARN, NP_LOG_INFO, NP_LOG_DEBUG
_LEVELS = (logging.ERROR, logging.WARNING, logging.INFO, logging.DEBUG)


def level(np_level: int) -> int:
    """The logging level of an enum np_log_level value."""
    if 0 <= np_level < len(_LEVELS):
        return _LEVELS[np_level]
    return logging.DEBUG


def emit(np_level: int, msg: str) -> None:
    """Log one line of the library."""
    lvl = level(np_level)
    if logger.isEnabledFor(lvl):
        logger.log(lvl, '%s', msg)
