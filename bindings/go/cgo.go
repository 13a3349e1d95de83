// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

package netpol

// The binding is hand-written cgo over the public C API: the go tool needs
// a C compiler and pkg-config's libnetpol.pc, nothing else (no SWIG, no
// generated code). C helpers for callbacks live in npgo.c.

// #cgo pkg-config: libnetpol
// #include <stdlib.h>
// #include "npgo.h"
import "C"

import (
	"unsafe"
)

// cstr gives a C copy of s, to free with C.free.
func cstr(s string) *C.char {
	return C.CString(s)
}

// cstrOrNil is cstr, or NULL for "".
func cstrOrNil(s string) *C.char {
	if s == "" {
		return nil
	}
	return C.CString(s)
}

func free(p *C.char) {
	if p != nil {
		C.free(unsafe.Pointer(p))
	}
}

// takeString gives the text of a string the library allocated and frees
// it with np_free().
func takeString(p *C.char) string {
	if p == nil {
		return ""
	}
	s := C.GoString(p)
	C.np_free(unsafe.Pointer(p))
	return s
}

// cstrings gives a C array of C copies of ss (NULL when empty) and the
// function freeing it all.
func cstrings(ss []string) (**C.char, func()) {
	if len(ss) == 0 {
		return nil, func() {}
	}
	arr := (*[1 << 20]*C.char)(C.calloc(C.size_t(len(ss)),
		C.size_t(unsafe.Sizeof((*C.char)(nil)))))[:len(ss):len(ss)]
	for i, s := range ss {
		arr[i] = C.CString(s)
	}
	return &arr[0], func() {
		for _, p := range arr {
			C.free(unsafe.Pointer(p))
		}
		C.free(unsafe.Pointer(&arr[0]))
	}
}

// cbool converts a Go bool.
func cbool(b bool) C.bool {
	return C.bool(b)
}

// gostr reads a NUL-terminated char array of a C struct.
func gostr(p *C.char) string {
	return C.GoString(p)
}

// gostrOrEmpty is C.GoString, "" for NULL.
func gostrOrEmpty(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}
