# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""netpol.Error: what a failed libnetpol call raises."""


class Error(OSError):
    """A libnetpol call failed.

    An OSError whose errno is the library's (EINVAL, ENOENT, E2BIG, ...),
    carrying its diagnostic: the input's file, line and column (0 when
    unknown), the object ("NetworkPolicy default/web"), the field path
    ("spec.ingress[0].ports[0].endPort") and the message. str() gives
    "file:line:col: object: path: message", as np_diag_format() does.
    """

    def __init__(self, errno, text, file='', line=0, column=0, object='',
                 path='', message=''):
        super().__init__(errno, text)
        self.file = file
        self.line = line
        self.column = column
        self.object = object
        self.path = path
        self.message = message or text

    def __str__(self):
        return self.strerror

    def __reduce__(self):
        return (type(self), (self.errno, self.strerror, self.file,
                             self.line, self.column, self.object, self.path,
                             self.message))
