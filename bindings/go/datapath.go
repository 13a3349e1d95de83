// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

package netpol

// #include <stdlib.h>
// #include "npgo.h"
import "C"

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"runtime/cgo"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// Mode is what a pod gets before its first rule set arrives.
type Mode int

const (
	// ModeStandard allows everything until rules arrive.
	ModeStandard Mode = iota
	// ModeStrict denies everything until rules arrive.
	ModeStrict
)

func (m Mode) String() string {
	switch m {
	case ModeStandard:
		return "standard"
	case ModeStrict:
		return "strict"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Verdicts of TestPacket: the TC actions.
const (
	VerdictOK   = 0 // TC_ACT_OK: the packet passes
	VerdictShot = 2 // TC_ACT_SHOT: the packet is dropped
)

// PodState is the enforcement state of a pod in one direction.
type PodState int

// Pod states, with the values of enum np_pod_state.
const (
	PodDefaultAllow PodState = iota // standard mode, no rules yet
	PodDefaultDeny                  // strict mode, no rules yet
	PodEnforced                     // its rule set decides
	PodUnisolated                   // rules known, none isolate it
	PodFailClosed                   // rules cannot be enforced: deny
)

var podStateNames = []string{"default-allow", "default-deny", "enforced",
	"unisolated", "fail-closed"}

func (s PodState) String() string {
	if s < 0 || int(s) >= len(podStateNames) {
		return fmt.Sprintf("PodState(%d)", int(s))
	}
	return podStateNames[s]
}

// HookKind is how the programs are attached to a pod's host veth.
type HookKind string

// Hook kinds: AttachHook takes HookAuto, HookTCX or HookTC; Hooks reports
// HookTCX, HookTC or HookNone.
const (
	// HookAuto lets the library choose: TCX where the kernel has it
	// (6.6+), else tc.
	HookAuto HookKind = "auto"
	// HookTCX is a pinned TCX link, first on the hook; attaching with it
	// fails with EOPNOTSUPP on a kernel without TCX.
	HookTCX HookKind = "tcx"
	// HookTC is a tc filter at priority 1 on a clsact qdisc.
	HookTC HookKind = "tc"
	// HookNone, only reported by Hooks: nothing of ours is attached.
	HookNone HookKind = "none"
)

// HookState says whether a hook of a pod runs this datapath's program
// first.
type HookState string

// Hook states, the names of enum np_hook_state.
const (
	HookOK       HookState = "ok"        // our program runs first
	HookMissing  HookState = "missing"   // no program of ours on it
	HookStale    HookState = "stale"     // our tc filter, another program
	HookNoDevice HookState = "no-device" // the interface is gone
	// HookPreceded: ours runs, but something runs before it (Ahead*).
	HookPreceded HookState = "preceded"
)

// Hook is a pod's hook in one direction as the kernel has it.
type Hook struct {
	State HookState `json:"state"`
	Kind  HookKind  `json:"kind"` // how ours is attached; HookNone: not
	// ProgID is the program our link or filter runs, 0 when none;
	// ExpectedID this datapath's program.
	ProgID     uint32 `json:"prog_id"`
	ExpectedID uint32 `json:"expected_id"`
	// Filters counts every TCX program and tc filter on the hook, ours
	// included.
	Filters int `json:"filters"`
	// What runs before ours: how many TCX programs or tc filters, and the
	// first one's kind ("tcx", or the tc filter's kind such as "bpf"; ""
	// when nothing), tc priority and handle (0 for TCX) and BPF program.
	Ahead       int    `json:"ahead"`
	AheadKind   string `json:"ahead_kind"`
	AheadPrio   uint16 `json:"ahead_prio"`
	AheadHandle uint32 `json:"ahead_handle"`
	AheadProgID uint32 `json:"ahead_prog_id"`
}

func hookArg(hook HookKind) (C.enum_np_hook_kind, error) {
	switch hook {
	case HookAuto:
		return C.NP_HOOK_KIND_NONE, nil
	case HookTCX:
		return C.NP_HOOK_KIND_TCX, nil
	case HookTC:
		return C.NP_HOOK_KIND_TC, nil
	}
	return 0, errorf(syscall.EINVAL,
		"netpol: unknown hook %q; expected one of auto, tc, tcx",
		string(hook))
}

// Switch is a node-wide setting of DatapathOptions; the zero value keeps
// what the loaded datapath has (a new datapath has every switch on).
type Switch int

// Switch values, those of enum np_switch.
const (
	SwitchKeep Switch = iota // as the loaded datapath has it
	SwitchOn
	SwitchOff
)

func (s Switch) String() string {
	switch s {
	case SwitchKeep:
		return "keep"
	case SwitchOn:
		return "on"
	case SwitchOff:
		return "off"
	}
	return fmt.Sprintf("Switch(%d)", int(s))
}

// DatapathOptions configures OpenDatapath; the zero value opens the
// node's datapath under /sys/fs/bpf/netpol in standard mode.
type DatapathOptions struct {
	PinRoot string   // bpffs directory, "" for /sys/fs/bpf/netpol
	Mode    Mode     // for pods attached through this handle
	CTSize  uint32   // conntrack entries per family, 0 for the default
	Events  bool     // switch flow events on
	NodeIPs []string // always allowed both ways; nil keeps the node's
	// Revoke: tracked flows are judged again when their pod's rules
	// change, and dropped (ReasonRevoked) when the new rules deny them.
	// Off: a flow is judged once, at its first packet. Node-wide.
	Revoke Switch
	// SourceCheck: packets a pod sends from an address not its own
	// (AttachOptions.IPs, or the rule set's pod IPs at Apply) are
	// dropped (ReasonSpoofed). Node-wide.
	SourceCheck Switch
	// Log receives the library's log lines for this handle; nil: none.
	Log LogFunc
}

// AttachOptions says which host veth AttachWith attaches, and how.
type AttachOptions struct {
	Ifname  string // the host veth by name, or
	Ifindex int    // by index; both given: they must agree
	// The pod's namespace and name ("": none; a re-attach without them
	// keeps the pod's).
	Namespace string
	Name      string
	Hook      HookKind // "" or HookAuto: the library's choice
	// IPs are the pod's own addresses (at most one IPv4 and one IPv6,
	// as Kubernetes podIPs): packets leaving the pod from another
	// source are dropped (ReasonSpoofed; IPv6 link-local sources pass).
	// Empty keeps the addresses the pod has.
	IPs []string
}

// Datapath is the node's eBPF datapath: TC programs on pods' host veths
// enforcing compiled rule sets. Every method needs CAP_BPF and
// CAP_NET_ADMIN. A build of libnetpol without the datapath fails every
// call with ENOTSUP (errors.Is(err, syscall.ENOTSUP)).
//
// A Datapath must not be used from two goroutines at once. Interfaces are
// those of the network namespace of the calling OS thread.
type Datapath struct {
	dp  *C.struct_np_datapath
	log cgo.Handle // of the LogFunc, 0 when none
}

// Counters are packets and bytes allowed and denied in one direction of
// a pod since it was attached.
type Counters struct {
	AllowedPackets uint64
	AllowedBytes   uint64
	DeniedPackets  uint64
	DeniedBytes    uint64
}

// DatapathPod is a pod attached to the datapath.
type DatapathPod struct {
	Ifindex   int
	Ifname    string // "" when the interface is gone
	Namespace string // "" when not given
	Name      string
	State     [2]PodState // by Direction
	RuleSet   [2]uint32   // loaded rule-set ids by Direction, 0 if none
	// The pod's addresses as the datapath holds them (from
	// AttachOptions.IPs or the rule sets applied), nil when it has none.
	IP4 net.IP
	IP6 net.IP
}

// Event is a flow event: the first packet of a new flow, or a drop.
type Event struct {
	Time      time.Time
	MonoNs    uint64 // CLOCK_MONOTONIC, as the kernel stamped it
	Ifindex   int    // host veth
	Direction Direction
	Family    int // 4 or 6
	Src       net.IP
	Dst       net.IP
	SrcPort   uint16 // 0 without ports; ICMP echo: its id
	DstPort   uint16
	Protocol  int // IPPROTO_*
	Allowed   bool
	Reason    Reason
	RuleSet   uint32 // the direction's rule-set id, 0 if none
	PrefixLen int    // of the matching key, -1 when none
	RuleCIDR  string // "" when none
	Length    uint32 // bytes
	Namespace string // the pod's, "" when unknown
	Pod       string
	Policies  []string // filled by the caller (np_event_format(3))
	Tier      Tier     // likewise; TierUnknown from PollEvents
}

func (d *Datapath) handle() (*C.struct_np_datapath, error) {
	if d == nil || d.dp == nil {
		return nil, ErrClosed
	}
	return d.dp, nil
}

func checkIPs(what string, ips []string) error {
	for _, ip := range ips {
		if ip == "" || strings.ContainsAny(ip, ", \t\n") {
			return errorf(syscall.EINVAL, "netpol: bad %s %q", what, ip)
		}
	}
	return nil
}

func ifindexArg(ifindex int) (C.uint, error) {
	if ifindex <= 0 || uint64(ifindex) > 0xffffffff {
		return 0, errorf(syscall.EINVAL, "netpol: bad ifindex %d", ifindex)
	}
	return C.uint(ifindex), nil
}

func dirArg(dir Direction) (C.enum_np_direction, error) {
	if dir != Ingress && dir != Egress {
		return 0, errorf(syscall.EINVAL, "netpol: invalid direction %d",
			int(dir))
	}
	return C.enum_np_direction(dir), nil
}

// OpenDatapath loads the programs and maps and pins them, or reuses those
// pinned under opts.PinRoot.
func OpenDatapath(opts DatapathOptions) (*Datapath, error) {
	if err := checkIPs("node IP", opts.NodeIPs); err != nil {
		return nil, err
	}
	ips, freeIPs := cstrings(opts.NodeIPs)
	defer freeIPs()
	root := cstrOrNil(opts.PinRoot)
	defer free(root)
	o := C.struct_np_datapath_opts{pin_root: root,
		mode: C.enum_np_mode(opts.Mode), ct_size: C.uint32_t(opts.CTSize),
		events: cbool(opts.Events), node_ips: ips,
		n_node_ips:   C.size_t(len(opts.NodeIPs)),
		revoke:       C.enum_np_switch(opts.Revoke),
		source_check: C.enum_np_switch(opts.SourceCheck)}
	o.sz = C.size_t(unsafe.Sizeof(o))
	d := &Datapath{}
	if opts.Log != nil {
		d.log = cgo.NewHandle(opts.Log)
	}
	var p *C.struct_np_datapath
	if err := check(C.np_go_datapath_open(&p, &o, C.uintptr_t(d.log)),
		nil); err != nil {
		if d.log != 0 {
			d.log.Delete()
		}
		return nil, err
	}
	d.dp = p
	runtime.SetFinalizer(d, (*Datapath).Close)
	return d, nil
}

func (d *Datapath) forget() {
	d.dp = nil
	if d.log != 0 {
		d.log.Delete()
		d.log = 0
	}
	runtime.SetFinalizer(d, nil)
}

// Close frees the handle; pods stay enforced. It is safe to call twice.
func (d *Datapath) Close() error {
	if d == nil || d.dp == nil {
		return nil
	}
	C.np_datapath_close(d.dp)
	d.forget()
	return nil
}

// Destroy detaches every pod, unpins every map and program, removes the
// pin directory and frees the handle (even when it fails).
func (d *Datapath) Destroy() error {
	h, err := d.handle()
	if err != nil {
		return err
	}
	err = check(C.np_datapath_destroy(h), nil)
	d.forget()
	return err
}

// Attach attaches the programs to a pod's host veth, by name (ifindex 0)
// or index (ifname ""), and remembers the pod (namespace and name may be
// ""). It returns the interface's index. The library chooses how
// (HookAuto); AttachHook says.
func (d *Datapath) Attach(ifname string, ifindex int, namespace,
	name string) (int, error) {
	return d.AttachHook(ifname, ifindex, namespace, name, HookAuto)
}

// AttachHook is Attach by a given kind of hook: HookAuto, HookTCX
// (EOPNOTSUPP on a kernel without TCX) or HookTC; another value is
// EINVAL. A pod attached the other way is moved over without a gap.
func (d *Datapath) AttachHook(ifname string, ifindex int, namespace,
	name string, hook HookKind) (int, error) {
	if _, err := hookArg(hook); err != nil {
		return 0, err
	}
	return d.AttachWith(AttachOptions{Ifname: ifname, Ifindex: ifindex,
		Namespace: namespace, Name: name, Hook: hook})
}

// AttachWith is Attach with every option, the pod's addresses among them
// (an address that does not parse, or two of one family, is EINVAL with
// the library's diagnostic). It returns the interface's index.
func (d *Datapath) AttachWith(opts AttachOptions) (int, error) {
	h, err := d.handle()
	if err != nil {
		return 0, err
	}
	hook := opts.Hook
	if hook == "" {
		hook = HookAuto
	}
	kind, err := hookArg(hook)
	if err != nil {
		return 0, err
	}
	ifname, ifindex := opts.Ifname, opts.Ifindex
	if ifindex < 0 || uint64(ifindex) > 0xffffffff ||
		(ifname == "" && ifindex == 0) {
		return 0, errorf(syscall.EINVAL,
			"netpol: Attach needs an ifname or an ifindex")
	}
	if err := checkIPs("pod IP", opts.IPs); err != nil {
		return 0, err
	}
	ips, freeIPs := cstrings(opts.IPs)
	defer freeIPs()
	cifname, cns := cstrOrNil(ifname), cstrOrNil(opts.Namespace)
	cname := cstrOrNil(opts.Name)
	defer free(cifname)
	defer free(cns)
	defer free(cname)
	o := C.struct_np_attach_opts{ifname: cifname, ifindex: C.uint(ifindex),
		pod_ns: cns, pod_name: cname, hook: kind, ips: ips,
		n_ips: C.size_t(len(opts.IPs))}
	o.sz = C.size_t(unsafe.Sizeof(o))
	var dg C.struct_np_diag
	err = check(C.np_datapath_attach(h, &o, &dg), &dg)
	runtime.KeepAlive(d)
	if err != nil {
		return 0, err
	}
	if ifindex == 0 {
		if i, err := net.InterfaceByName(ifname); err == nil {
			ifindex = i.Index
		}
	}
	return ifindex, nil
}

// Detach detaches the programs from a pod and forgets it; ENOENT when it
// is not attached.
func (d *Datapath) Detach(ifindex int) error {
	h, err := d.handle()
	if err != nil {
		return err
	}
	ifx, err := ifindexArg(ifindex)
	if err != nil {
		return err
	}
	err = check(C.np_datapath_detach(h, ifx), nil)
	runtime.KeepAlive(d)
	return err
}

// Apply enforces a compiled rule set on an attached pod, atomically.
func (d *Datapath) Apply(ifindex int, rs *RuleSet) error {
	h, err := d.handle()
	if err != nil {
		return err
	}
	r, err := rs.handle()
	if err != nil {
		return err
	}
	ifx, err := ifindexArg(ifindex)
	if err != nil {
		return err
	}
	var dg C.struct_np_diag
	err = check(C.np_datapath_apply(h, ifx, r, &dg), &dg)
	runtime.KeepAlive(d)
	runtime.KeepAlive(rs)
	return err
}

// Begin starts a node-wide transaction: it takes the datapath lock
// (writers through other handles wait; with nowait, EAGAIN when another
// writer holds it) and from then on Apply and FailClosed on this handle
// are staged, packets keeping the old state, until Commit or Abort.
// EALREADY when a transaction is open on this handle, EROFS on a handle
// for inspection. Attach, Detach, GC, SetEvents and SetNodeIPs take
// effect at once. See np_datapath_begin(3).
func (d *Datapath) Begin(nowait bool) error {
	h, err := d.handle()
	if err != nil {
		return err
	}
	o := C.struct_np_txn_opts{nowait: cbool(nowait)}
	o.sz = C.size_t(unsafe.Sizeof(o))
	err = check(C.np_datapath_begin(h, &o), nil)
	runtime.KeepAlive(d)
	return err
}

// Commit makes every staged change at once (each packet is judged by the
// whole old state or the whole new one) and releases the lock. EINVAL
// without a transaction. An error after the switch still commits: the
// error says so.
func (d *Datapath) Commit() error {
	h, err := d.handle()
	if err != nil {
		return err
	}
	var dg C.struct_np_diag
	err = check(C.np_datapath_commit(h, &dg), &dg)
	runtime.KeepAlive(d)
	return err
}

// Abort drops what the transaction staged and releases the lock: the
// node keeps its old state. It does nothing without a transaction, or on
// a closed Datapath (Close aborts).
func (d *Datapath) Abort() {
	if h, err := d.handle(); err == nil {
		C.np_datapath_abort(h)
		runtime.KeepAlive(d)
	}
}

// FailClosed denies every new flow of the given directions of an attached
// pod (node IPs stay allowed), for rules that cannot be enforced; a later
// Apply replaces it.
func (d *Datapath) FailClosed(ifindex int, dirs ...Direction) error {
	h, err := d.handle()
	if err != nil {
		return err
	}
	ifx, err := ifindexArg(ifindex)
	if err != nil {
		return err
	}
	var mask uint
	for _, dir := range dirs {
		if dir != Ingress && dir != Egress {
			return fmt.Errorf("netpol: invalid direction %d", int(dir))
		}
		mask |= 1 << uint(dir)
	}
	var dg C.struct_np_diag
	err = check(C.np_datapath_fail_closed(h, ifx, C.uint(mask), &dg), &dg)
	runtime.KeepAlive(d)
	return err
}

// GC forgets pods whose interface is gone, deletes expired conntrack
// entries and releases rule sets no pod uses.
func (d *Datapath) GC() error {
	h, err := d.handle()
	if err != nil {
		return err
	}
	err = check(C.np_datapath_gc(h), nil)
	runtime.KeepAlive(d)
	return err
}

// SetEvents switches flow events on or off, for the whole node.
func (d *Datapath) SetEvents(on bool) error {
	h, err := d.handle()
	if err != nil {
		return err
	}
	err = check(C.np_datapath_set_events(h, cbool(on)), nil)
	runtime.KeepAlive(d)
	return err
}

// SetRuleCounters switches the per-rule-key packet and byte counters on
// or off, for the whole node (off when the datapath is loaded).
func (d *Datapath) SetRuleCounters(on bool) error {
	h, err := d.handle()
	if err != nil {
		return err
	}
	err = check(C.np_datapath_set_rule_counters(h, cbool(on)), nil)
	runtime.KeepAlive(d)
	return err
}

// SetNodeIPs replaces the node addresses, always allowed both ways.
func (d *Datapath) SetNodeIPs(ips ...string) error {
	h, err := d.handle()
	if err != nil {
		return err
	}
	if err := checkIPs("node IP", ips); err != nil {
		return err
	}
	cips, freeIPs := cstrings(ips)
	defer freeIPs()
	err = check(C.np_datapath_set_node_ips(h, cips, C.size_t(len(ips))),
		nil)
	runtime.KeepAlive(d)
	return err
}

// Counters gives the totals of a pod's direction over all CPUs.
func (d *Datapath) Counters(ifindex int, dir Direction) (Counters, error) {
	h, err := d.handle()
	if err != nil {
		return Counters{}, err
	}
	ifx, err := ifindexArg(ifindex)
	if err != nil {
		return Counters{}, err
	}
	var c C.struct_np_datapath_counters
	err = check(C.np_datapath_counters(h, ifx, C.enum_np_direction(dir),
		&c), nil)
	runtime.KeepAlive(d)
	if err != nil {
		return Counters{}, err
	}
	return Counters{AllowedPackets: uint64(c.allowed_packets),
		AllowedBytes:  uint64(c.allowed_bytes),
		DeniedPackets: uint64(c.denied_packets),
		DeniedBytes:   uint64(c.denied_bytes)}, nil
}

func podOf(p *C.struct_np_datapath_pod) DatapathPod {
	dp := DatapathPod{Ifindex: int(p.ifindex),
		Ifname:    gostr(&p.ifname[0]),
		Namespace: gostrOrEmpty(p.ns), Name: gostrOrEmpty(p.name),
		State:   [2]PodState{PodState(p.state[0]), PodState(p.state[1])},
		RuleSet: [2]uint32{uint32(p.ruleset[0]), uint32(p.ruleset[1])}}
	if p.ip_flags&C.NP_POD_IP4 != 0 {
		dp.IP4 = net.IP(C.GoBytes(unsafe.Pointer(&p.ip4[0]), 4))
	}
	if p.ip_flags&C.NP_POD_IP6 != 0 {
		dp.IP6 = net.IP(C.GoBytes(unsafe.Pointer(&p.ip6[0]), 16))
	}
	return dp
}

// Pods gives the attached pods, in ifindex order.
func (d *Datapath) Pods() ([]DatapathPod, error) {
	h, err := d.handle()
	if err != nil {
		return nil, err
	}
	out := []DatapathPod{}
	ph := cgo.NewHandle(&out)
	defer ph.Delete()
	err = check(C.np_go_pod_foreach(h, C.uintptr_t(ph)), nil)
	runtime.KeepAlive(d)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func eventOf(e *C.struct_np_event) Event {
	ev := Event{Time: time.Unix(0, int64(e.time_ns)),
		MonoNs:    uint64(e.mono_ns),
		Ifindex:   int(e.ifindex),
		Direction: Direction(e.direction),
		Family:    int(e.family),
		Src:       net.ParseIP(gostr(&e.src_text[0])),
		Dst:       net.ParseIP(gostr(&e.dst_text[0])),
		SrcPort:   uint16(e.sport),
		DstPort:   uint16(e.dport),
		Protocol:  int(e.protocol),
		Allowed:   bool(e.allowed),
		Reason:    Reason(e.reason),
		RuleSet:   uint32(e.ruleset),
		PrefixLen: int(e.prefixlen),
		RuleCIDR:  gostr(&e.rule_cidr[0]),
		Length:    uint32(e.length),
		Namespace: gostrOrEmpty(e.pod_ns),
		Pod:       gostrOrEmpty(e.pod_name),
		Tier:      Tier(e.tier)}
	if e.policies != nil {
		if p := C.GoString(e.policies); p != "" {
			ev.Policies = strings.Split(p, ", ")
		}
	}
	return ev
}

// PollEvents waits up to timeout (negative: forever, 0: not at all) for
// flow events and gives at most max of them (0: all there are); the rest
// stay queued.
func (d *Datapath) PollEvents(timeout time.Duration, max int) ([]Event,
	error) {
	h, err := d.handle()
	if err != nil {
		return nil, err
	}
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
		if ms > 0x7fffffff {
			ms = 0x7fffffff
		}
	}
	if max < 0 || max > 0x7fffffff {
		max = 0
	}
	sink := &eventSink{events: []Event{}, max: max}
	sh := cgo.NewHandle(sink)
	defer sh.Delete()
	rc := C.np_go_poll_events(h, C.int(ms), C.uintptr_t(sh))
	runtime.KeepAlive(d)
	if rc == -C.int(syscall.ECANCELED) && max > 0 &&
		len(sink.events) >= max {
		rc = 0
	}
	if err := check(rc, nil); err != nil {
		return nil, err
	}
	return sink.events, nil
}

// Events gives the flow events that come until none has come for timeout,
// or until max of them (0: no limit; then timeout must be >= 0).
func (d *Datapath) Events(timeout time.Duration, max int) ([]Event,
	error) {
	if max <= 0 && timeout < 0 {
		return nil, errorf(syscall.EINVAL, "netpol: Events would never end")
	}
	var out []Event
	for max <= 0 || len(out) < max {
		left := 0
		if max > 0 {
			left = max - len(out)
		}
		evs, err := d.PollEvents(timeout, left)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return out, err
		}
		if len(evs) == 0 {
			break
		}
		out = append(out, evs...)
	}
	return out, nil
}

// EventPollInterval is how long EventsChan's goroutine waits in one poll:
// the longest it takes to notice that its context is done.
const EventPollInterval = 100 * time.Millisecond

// EventsChan streams flow events: a goroutine polls the datapath and sends
// each event on the first channel until ctx is done or a poll fails; then
// the second channel receives the reason (ctx.Err(), or the poll's error)
// and both are closed. The goroutine sends with a select on ctx.Done(),
// so a reader that stops reading just cancels ctx.
//
// The goroutine uses the handle until the channels close: meanwhile the
// Datapath must not be used elsewhere (one object, one goroutine); open a
// second Datapath on the same PinRoot for the rest of the work.
func (d *Datapath) EventsChan(ctx context.Context) (<-chan Event,
	<-chan error) {
	evc := make(chan Event, 64)
	errc := make(chan error, 1)
	go func() {
		defer close(evc)
		defer close(errc)
		for {
			if err := ctx.Err(); err != nil {
				errc <- err
				return
			}
			evs, err := d.PollEvents(EventPollInterval, 0)
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil {
				errc <- err
				return
			}
			for _, ev := range evs {
				select {
				case evc <- ev:
				case <-ctx.Done():
					errc <- ctx.Err()
					return
				}
			}
		}
	}()
	return evc, errc
}

// TestPacket runs the program of direction dir on an Ethernet frame as if
// it crossed the host veth ifindex, with the real maps: VerdictOK or
// VerdictShot. Conntrack entries it creates stay.

// TestPacket runs the program of direction dir on an Ethernet frame as if
// it crossed the host veth ifindex, with the real maps: VerdictOK or
// VerdictShot. Conntrack entries it creates stay.
func (d *Datapath) TestPacket(ifindex int, dir Direction,
	frame []byte) (int, error) {
	h, err := d.handle()
	if err != nil {
		return 0, err
	}
	ifx, err := ifindexArg(ifindex)
	if err != nil {
		return 0, err
	}
	b := frame
	if len(b) == 0 {
		b = []byte{0}
	}
	verdict := C.int(-1)
	rc := C.np_datapath_test_packet(h, ifx, C.enum_np_direction(dir),
		unsafe.Pointer(&b[0]), C.size_t(len(frame)), &verdict)
	runtime.KeepAlive(d)
	if err := check(rc, nil); err != nil {
		return 0, err
	}
	return int(verdict), nil
}

// DatapathStats are node-wide numbers; arrays are [IPv4, IPv6].
type DatapathStats struct {
	EventsLost  uint64    `json:"events_lost"`
	CTEntries   [2]uint64 `json:"ct_entries"`
	CTCapacity  [2]uint64 `json:"ct_capacity"`
	LPMEntries  [2]uint64 `json:"lpm_entries"`
	LPMCapacity [2]uint64 `json:"lpm_capacity"`
	Pods        uint64    `json:"pods"`
	RuleSets    uint64    `json:"rulesets"`
	EventsOn    bool      `json:"events_on"`
	// CTEvictions: conntrack entries evicted because the table was full.
	CTEvictions [2]uint64 `json:"ct_evictions"`
	// RuleCountersOn: per-rule-key counters are on (SetRuleCounters).
	RuleCountersOn bool `json:"rule_counters_on"`
}

// Stats gives node-wide numbers: events lost, conntrack and LPM use.
func (d *Datapath) Stats() (DatapathStats, error) {
	h, err := d.handle()
	if err != nil {
		return DatapathStats{}, err
	}
	var st C.struct_np_datapath_stats
	err = check(C.np_datapath_stats(h, &st), nil)
	runtime.KeepAlive(d)
	if err != nil {
		return DatapathStats{}, err
	}
	pair := func(a [2]C.uint64_t) [2]uint64 {
		return [2]uint64{uint64(a[0]), uint64(a[1])}
	}
	return DatapathStats{EventsLost: uint64(st.events_lost),
		CTEntries:      pair(st.ct_entries),
		CTCapacity:     pair(st.ct_capacity),
		LPMEntries:     pair(st.lpm_entries),
		LPMCapacity:    pair(st.lpm_capacity),
		Pods:           uint64(st.pods),
		RuleSets:       uint64(st.rulesets),
		EventsOn:       bool(st.events_on),
		CTEvictions:    pair(st.ct_evictions),
		RuleCountersOn: bool(st.rule_counters_on)}, nil
}

// LatencyHistogram is the distribution of a datapath's enforcement
// latency (np_datapath_latency(3)), Prometheus style: Counts[i] is the
// number of observations <= Bounds[i] seconds (cumulative), Count every
// observation (the +Inf bucket), Sum their total in seconds.
type LatencyHistogram struct {
	Bounds []float64 // seconds, ascending
	Counts []uint64  // cumulative, one per bound
	Count  uint64
	Sum    float64 // seconds
}

// Latency gives the histogram of the time from a rule-set change (Apply,
// FailClosed, Commit) to its enforcement, as np_datapath_latency(3)
// measures it.
func (d *Datapath) Latency() (LatencyHistogram, error) {
	h, err := d.handle()
	if err != nil {
		return LatencyHistogram{}, err
	}
	var l C.struct_np_latency_hist
	err = check(C.np_datapath_latency(h, &l), nil)
	runtime.KeepAlive(d)
	if err != nil {
		return LatencyHistogram{}, err
	}
	n := int(l.nbuckets)
	if n > len(l.bounds) {
		n = len(l.bounds)
	}
	out := LatencyHistogram{Bounds: make([]float64, n),
		Counts: make([]uint64, n), Count: uint64(l.count),
		Sum: float64(l.sum)}
	for i := 0; i < n; i++ {
		out.Bounds[i] = float64(l.bounds[i])
		out.Counts[i] = uint64(l.counts[i])
	}
	return out, nil
}

// Hooks queries the kernel for the hooks of a pod's host veth, indexed
// by Direction (the pod's ingress is the veth's egress hook): whether they
// run this datapath's programs first, and how they are attached. The
// interface need not be attached.
func (d *Datapath) Hooks(ifindex int) ([2]Hook, error) {
	h, err := d.handle()
	if err != nil {
		return [2]Hook{}, err
	}
	ifx, err := ifindexArg(ifindex)
	if err != nil {
		return [2]Hook{}, err
	}
	var hk [2]C.struct_np_datapath_hook
	err = check(C.np_datapath_hooks(h, ifx, &hk[0]), nil)
	runtime.KeepAlive(d)
	if err != nil {
		return [2]Hook{}, err
	}
	var out [2]Hook
	for i := range hk {
		x := &hk[i]
		// ahead_kind need not end in a NUL when it is full
		kind := C.GoBytes(unsafe.Pointer(&x.ahead_kind[0]),
			C.int(len(x.ahead_kind)))
		if j := strings.IndexByte(string(kind), 0); j >= 0 {
			kind = kind[:j]
		}
		out[i] = Hook{
			State:       HookState(gostrOrEmpty(C.np_hook_state_name(x.state))),
			Kind:        HookKind(gostrOrEmpty(C.np_hook_kind_name(x.kind))),
			ProgID:      uint32(x.prog_id),
			ExpectedID:  uint32(x.expected_id),
			Filters:     int(x.filters),
			Ahead:       int(x.ahead),
			AheadKind:   string(kind),
			AheadPrio:   uint16(x.ahead_prio),
			AheadHandle: uint32(x.ahead_handle),
			AheadProgID: uint32(x.ahead_prog_id),
		}
	}
	return out, nil
}

// Explanation is a new flow decided against the live maps.
type Explanation struct {
	Allowed  bool     `json:"allowed"`
	Reason   Reason   `json:"reason"`
	State    PodState `json:"state"`   // the pod's, in that direction
	RuleSet  uint32   `json:"ruleset"` // the direction's id, 0 if none
	Key      string   `json:"key"`     // matching LPM prefix, "" if none
	PortSet  uint32   `json:"portset"` // its port set, 0 if none
	Slot     int      `json:"slot"`    // matching slot, -1 if none/all
	Policies []string `json:"-"`       // who decided, when rs is given
	Tier     Tier     `json:"tier"`    // the tier, when rs names it
}

// Explain decides the first packet of a flow of pod ifindex in direction
// dir as the program would (conntrack aside): peer is the other end's
// address, port the destination port, proto an IP protocol number. With
// the pod's rule set (rs may be nil), Policies names those allowing it.
func (d *Datapath) Explain(ifindex int, dir Direction, peer string,
	proto Protocol, port uint16, rs *RuleSet) (Explanation, error) {
	h, err := d.handle()
	if err != nil {
		return Explanation{}, err
	}
	ifx, err := ifindexArg(ifindex)
	if err != nil {
		return Explanation{}, err
	}
	if proto < 0 || proto > 255 {
		return Explanation{}, errorf(syscall.EINVAL,
			"netpol: invalid protocol %d", int(proto))
	}
	var r *C.struct_np_ruleset
	if rs != nil {
		if r, err = rs.handle(); err != nil {
			return Explanation{}, err
		}
	}
	cpeer := cstr(peer)
	defer free(cpeer)
	var v C.struct_np_datapath_verdict
	err = check(C.np_datapath_explain(h, ifx, C.enum_np_direction(dir),
		cpeer, C.uint8_t(proto), C.uint16_t(port), r, &v), nil)
	runtime.KeepAlive(d)
	runtime.KeepAlive(rs)
	if err != nil {
		return Explanation{}, err
	}
	out := Explanation{Allowed: bool(v.allowed), Reason: Reason(v.reason),
		State: PodState(v.state), RuleSet: uint32(v.ruleset),
		Key: gostr(&v.key[0]), PortSet: uint32(v.portset),
		Slot: int(v.slot), Tier: Tier(v.tier)}
	if p := gostr(&v.policies[0]); p != "" {
		out.Policies = strings.Split(p, ", ")
	}
	return out, nil
}

// Verify compares what the kernel enforces for pod ifindex with rule set
// rs: one line per drift, none when they agree.
func (d *Datapath) Verify(ifindex int, rs *RuleSet) ([]string, error) {
	h, err := d.handle()
	if err != nil {
		return nil, err
	}
	r, err := rs.handle()
	if err != nil {
		return nil, err
	}
	ifx, err := ifindexArg(ifindex)
	if err != nil {
		return nil, err
	}
	var out *C.char
	var n C.size_t
	err = check(C.np_datapath_verify(h, ifx, r, &out, &n), nil)
	runtime.KeepAlive(d)
	runtime.KeepAlive(rs)
	s := takeString(out)
	if err != nil {
		return nil, err
	}
	return lines(s), nil
}
