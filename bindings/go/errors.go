// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

package netpol

// #include <stdlib.h>
// #include "npgo.h"
import "C"

import (
	"fmt"
	"io/fs"
	"syscall"
)

// DiagError is a failed call: its errno and where and why it failed.
type DiagError struct {
	Errno   syscall.Errno
	File    string // input name, "-" for stdin, "" when none
	Line    int    // 1-based, 0 when unknown
	Column  int    // 1-based, 0 when unknown
	Object  string // "NetworkPolicy default/web", or ""
	Path    string // "spec.ingress[0].ports[0].endPort", or ""
	Message string // the reason, API-server style
	text    string
}

// Error gives "file:line:col: object: path: message".
func (e *DiagError) Error() string {
	if e.text != "" {
		return e.text
	}
	return e.Message
}

// Unwrap gives the syscall.Errno, for errors.Is(err, syscall.EINVAL) and
// errors.Is(err, fs.ErrNotExist) (ENOENT).
func (e *DiagError) Unwrap() error {
	return e.Errno
}

// Is makes ErrNotFound match ENOENT, and ErrInvalid and fs.ErrInvalid
// match EINVAL (fs.ErrNotExist matches ENOENT through the Errno).
func (e *DiagError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Errno == syscall.ENOENT
	case ErrInvalid, fs.ErrInvalid:
		return e.Errno == syscall.EINVAL
	}
	return false
}

type sentinel struct {
	msg  string
	also error
}

func (s *sentinel) Error() string { return s.msg }

func (s *sentinel) Is(target error) bool { return target == s.also }

var (
	// ErrNotFound matches every error for a missing file or object
	// (ENOENT): errors.Is(err, netpol.ErrNotFound). It is itself
	// fs.ErrNotExist for errors.Is, as the errors it matches are.
	ErrNotFound error = &sentinel{"netpol: not found", fs.ErrNotExist}
	// ErrInvalid matches every error for invalid input (EINVAL);
	// errors.As(err, &ie) with ie an *InvalidError gives the object,
	// field path and reason when the library named them. It is
	// fs.ErrInvalid for errors.Is.
	ErrInvalid error = &sentinel{"netpol: invalid input", fs.ErrInvalid}
)

// InvalidError is invalid input the library could place: which object,
// which field, why. Calls return it (for EINVAL with a diagnostic naming
// an object or a field path) wrapping the *DiagError, so errors.As with
// either type works, and errors.Is(err, syscall.EINVAL) and
// errors.Is(err, ErrInvalid) hold.
type InvalidError struct {
	Object string // "NetworkPolicy default/web", or ""
	Path   string // "spec.ingress[0].ports[0].endPort", or ""
	Reason string // "Invalid value: 70: must be greater than ..."
	Diag   *DiagError
}

// Error is the diagnostic's text: "file:line:col: object: path: reason".
func (e *InvalidError) Error() string {
	return e.Diag.Error()
}

// Unwrap gives the *DiagError.
func (e *InvalidError) Unwrap() error {
	return e.Diag
}

// ErrClosed wraps EBADF: a method was called on a closed handle.
var ErrClosed = &DiagError{Errno: syscall.EBADF,
	Message: "netpol: use of a closed handle"}

// Diagnostic is one problem of a load: with LoadOptions.SkipInvalid, an
// object that was skipped; without it, each problem that rejected the
// input (the first one is also the error).
type Diagnostic struct {
	Errno   syscall.Errno
	File    string // input name, "-" for stdin, "" when none
	Line    int    // 1-based, 0 when unknown
	Column  int    // 1-based, 0 when unknown
	Object  string // "NetworkPolicy default/web", or ""
	Path    string // "spec.ingress[0].ports[0].endPort", or ""
	Message string // the reason, API-server style
	text    string
}

// String gives "file:line:col: object: path: message".
func (d Diagnostic) String() string {
	if d.text != "" {
		return d.text
	}
	return d.Message
}

// Err gives the diagnostic as the error a call would return for it.
func (d Diagnostic) Err() error {
	e := DiagError(d) // the same fields
	return wrapInvalid(&e)
}

func diagnosticOf(d *C.struct_np_diag) Diagnostic {
	out := Diagnostic{Errno: syscall.Errno(-d.err),
		File:    gostr(&d.file[0]),
		Line:    int(d.line),
		Column:  int(d.column),
		Object:  gostr(&d.object[0]),
		Path:    gostr(&d.path[0]),
		Message: gostr(&d.message[0])}
	var buf [2048]C.char
	if C.np_diag_format(d, &buf[0], C.size_t(len(buf))) >= 0 {
		out.text = gostr(&buf[0])
	}
	if out.Message == "" && d.err < 0 {
		out.Message = gostr(C.np_strerror(d.err))
	}
	return out
}

func wrapInvalid(e *DiagError) error {
	if e.Errno == syscall.EINVAL && (e.Object != "" || e.Path != "") {
		return &InvalidError{Object: e.Object, Path: e.Path,
			Reason: e.Message, Diag: e}
	}
	return e
}

// check turns a return code (and the call's diagnostic, if any) into an
// error: nil, an *InvalidError or a *DiagError.
func check(rc C.int, d *C.struct_np_diag) error {
	if rc >= 0 {
		return nil
	}
	e := &DiagError{Errno: syscall.Errno(-rc)}
	if d != nil && d.err == rc {
		g := DiagError(diagnosticOf(d))
		e = &g
	}
	if e.Message == "" {
		e.Message = gostr(C.np_strerror(rc))
	}
	return wrapInvalid(e)
}

// errorf is a *DiagError of the binding itself.
func errorf(errno syscall.Errno, format string, a ...interface{}) error {
	return &DiagError{Errno: errno, Message: fmt.Sprintf(format, a...)}
}
