// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

package netpol

// #include "npgo.h"
import "C"

import (
	"runtime/cgo"
	"syscall"
)

// The library's callbacks arrive here through npgo.c, their context a
// cgo.Handle of the Go value that wants them. A callback never panics
// into C: a value of the wrong type is ignored.

//export npGoLog
func npGoLog(h C.uintptr_t, level C.int, msg *C.char) {
	// A panic must not unwind through the library's C frames: the
	// handler's panic loses its line, not the process.
	defer func() { _ = recover() }()
	if f, ok := cgo.Handle(h).Value().(LogFunc); ok && f != nil {
		f(LogLevel(level), C.GoString(msg))
	}
}

//export npGoDiag
func npGoDiag(h C.uintptr_t, d *C.struct_np_diag) {
	if p, ok := cgo.Handle(h).Value().(*[]Diagnostic); ok && d != nil {
		*p = append(*p, diagnosticOf(d))
	}
}

// eventSink collects the events of one poll, at most max (0: all).
type eventSink struct {
	events []Event
	max    int
}

//export npGoEvent
func npGoEvent(h C.uintptr_t, ev *C.struct_np_event) C.int {
	s, ok := cgo.Handle(h).Value().(*eventSink)
	if !ok || ev == nil {
		return -C.int(syscall.EINVAL)
	}
	s.events = append(s.events, eventOf(ev))
	// Stop after the last wanted event: the ring keeps the rest.
	if s.max > 0 && len(s.events) >= s.max {
		return -C.int(syscall.ECANCELED)
	}
	return 0
}

//export npGoPod
func npGoPod(h C.uintptr_t, pod *C.struct_np_datapath_pod) C.int {
	p, ok := cgo.Handle(h).Value().(*[]DatapathPod)
	if !ok || pod == nil {
		return -C.int(syscall.EINVAL)
	}
	*p = append(*p, podOf(pod))
	return 0
}
