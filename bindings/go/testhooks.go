// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

package netpol

// #include <stdlib.h>
// #include "npgo.h"
import "C"

import "unsafe"

// nullDatapathCalls makes the datapath calls on a NULL handle, straight
// to C, and gives their return codes: the tests (export_test.go) check
// that none crashes and each is -EINVAL, or -ENOTSUP without the
// datapath. Go's Datapath never passes NULL (ErrClosed first).
func nullDatapathCalls() []int {
	var null *C.struct_np_datapath
	lo, ip := cstr("lo"), cstr("198.18.255.253")
	defer free(lo)
	defer free(ip)
	var s *C.char
	var n C.size_t
	var c C.struct_np_datapath_counters
	var hk [2]C.struct_np_datapath_hook
	var st C.struct_np_datapath_stats
	var lat C.struct_np_latency_hist
	var v C.int
	frame := C.CString("xxxxxxxxxxxxxxxx")
	defer free(frame)
	ao := C.struct_np_attach_opts{ifname: lo}
	ao.sz = C.size_t(unsafe.Sizeof(ao))
	to := C.struct_np_txn_opts{}
	to.sz = C.size_t(unsafe.Sizeof(to))
	return []int{
		int(C.np_datapath_detach(null, 1)),
		int(C.np_datapath_gc(null)),
		int(C.np_datapath_set_events(null, true)),
		int(C.np_datapath_destroy(null)),
		int(C.np_datapath_attach(null, &ao, nil)),
		int(C.np_datapath_begin(null, &to)),
		int(C.np_datapath_commit(null, nil)),
		int(C.np_datapath_hooks(null, 1, &hk[0])),
		int(C.np_datapath_set_node_ips(null, &ip, 1)),
		int(C.np_datapath_test_packet(null, 1, 0, unsafe.Pointer(frame),
			16, &v)),
		int(C.np_datapath_counters(null, 1, 0, &c)),
		int(C.np_go_poll_events(null, 0, 0)),
		int(C.np_go_pod_foreach(null, 0)),
		int(C.np_datapath_fail_closed(null, 1, 1, nil)),
		int(C.np_datapath_stats(null, &st)),
		int(C.np_datapath_latency(null, &lat)),
		int(C.np_datapath_verify(null, 1, nil, &s, &n)),
	}
}
