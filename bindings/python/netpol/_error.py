# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""netpol.Error and its subclasses: what a failed libnetpol call raises."""
import builtins
import errno as _errno
from typing import Any, Tuple, Type


class Error(OSError):
    """A libnetpol call failed.

    An OSError whose errno is the library's (EINVAL, ENOENT, E2BIG, ...),
    carrying its diagnostic: the input's file, line and column (0 when
    unknown), the object ("NetworkPolicy default/web"), the field path
    ("spec.ingress[0].ports[0].endPort") and the message. str() gives
    "file:line:col: object: path: message", as np_diag_format() does.

    Subclasses that are also the standard exceptions: NotFoundError
    (KeyError), InvalidInputError (ValueError), FileNotFoundError
    (builtins.FileNotFoundError).
    """

    errno: int
    file: str
    line: int
    column: int
    object: str
    path: str
    message: str

    def __init__(self, errno: int, text: str, file: str = '', line: int = 0,
                 column: int = 0, object: str = '', path: str = '',
                 message: str = '') -> None:
        super().__init__(errno, text)
        self.file = file
        self.line = line
        self.column = column
        self.object = object
        self.path = path
        self.message = message or text

    def __str__(self) -> str:
        text = self.strerror or ''
        # name the object even when the library's text does not
        if self.object and self.object not in text:
            return f'{self.object}: {text}'
        return text

    def __repr__(self) -> str:
        return (f'{type(self).__qualname__}({self.errno}, '
                f'{self.strerror!r}, object={self.object!r}, '
                f'path={self.path!r})')

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.errno, self.strerror, self.file,
                             self.line, self.column, self.object, self.path,
                             self.message))


class NotFoundError(Error, KeyError):
    """ENOENT on a name: the object (a pod, a policy, ...) is not in the
    cluster or the datapath. Also a KeyError."""

    def __str__(self) -> str:      # KeyError's would quote it
        return Error.__str__(self)


class InvalidInputError(Error, ValueError):
    """EINVAL with a diagnostic: the input (a manifest, an argument) is
    invalid; object, path and message say where and why. Also a
    ValueError."""


class FileNotFoundError(Error, builtins.FileNotFoundError):
    """A file to load does not exist. Also the builtin
    FileNotFoundError."""


def _make(errno: int, text: str, file: str = '', line: int = 0,
          column: int = 0, object: str = '', path: str = '',
          message: str = '') -> Error:
    """The exception for a failed call (the binding's C code calls it)."""
    cls: Type[Error] = Error
    if errno == _errno.ENOENT:
        cls = NotFoundError
    elif errno == _errno.EINVAL:
        cls = InvalidInputError
    return cls(errno, text, file, line, column, object, path, message)


def _file_not_found(e: Error, filename: str) -> 'FileNotFoundError':
    """e (ENOENT of a load) as a FileNotFoundError naming the file."""
    f = FileNotFoundError(e.errno, e.strerror or '', e.file or filename,
                          e.line, e.column, e.object, e.path, e.message)
    f.filename = filename
    return f
