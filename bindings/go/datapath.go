// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

package netpol

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"syscall"
	"time"

	"libnetpol.dev/netpol/internal/capi"
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

func hookArg(hook HookKind) (int, error) {
	switch hook {
	case HookAuto:
		return int(capi.NP_HOOK_KIND_NONE), nil
	case HookTCX:
		return int(capi.NP_HOOK_KIND_TCX), nil
	case HookTC:
		return int(capi.NP_HOOK_KIND_TC), nil
	}
	return 0, &DiagError{Errno: syscall.EINVAL,
		Message: fmt.Sprintf("netpol: unknown hook %q; expected one "+
			"of auto, tc, tcx", string(hook))}
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
	dp capi.Np_datapath
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

func (d *Datapath) handle() (capi.Np_datapath, error) {
	if d == nil || d.dp == nil {
		return nil, ErrClosed
	}
	return d.dp, nil
}

func joinIPs(ips []string) (string, error) {
	for _, ip := range ips {
		if ip == "" || strings.ContainsAny(ip, ", \t\n") {
			return "", &DiagError{Errno: syscall.EINVAL,
				Message: fmt.Sprintf("netpol: bad node IP %q", ip)}
		}
	}
	return strings.Join(ips, ","), nil
}

func ifindexArg(ifindex int) (uint, error) {
	if ifindex <= 0 || uint64(ifindex) > 0xffffffff {
		return 0, &DiagError{Errno: syscall.EINVAL,
			Message: fmt.Sprintf("netpol: bad ifindex %d", ifindex)}
	}
	return uint(ifindex), nil
}

// OpenDatapath loads the programs and maps and pins them, or reuses those
// pinned under opts.PinRoot.
func OpenDatapath(opts DatapathOptions) (*Datapath, error) {
	ips, err := joinIPs(opts.NodeIPs)
	if err != nil {
		return nil, err
	}
	p := []uintptr{0}
	err = check(capi.Np_swig_datapath_open(p, opts.PinRoot,
		capi.Enum_SS_np_mode(opts.Mode), uint(opts.CTSize), opts.Events,
		ips, int(opts.Revoke), int(opts.SourceCheck)), nil)
	if err != nil {
		return nil, err
	}
	d := &Datapath{dp: capi.SwigcptrNp_datapath(p[0])}
	runtime.SetFinalizer(d, (*Datapath).Close)
	return d, nil
}

// Close frees the handle; pods stay enforced. It is safe to call twice.
func (d *Datapath) Close() error {
	if d == nil || d.dp == nil {
		return nil
	}
	capi.DeleteNp_datapath(d.dp)
	d.dp = nil
	runtime.SetFinalizer(d, nil)
	return nil
}

// Destroy detaches every pod, unpins every map and program, removes the
// pin directory and frees the handle (even when it fails).
func (d *Datapath) Destroy() error {
	h, err := d.handle()
	if err != nil {
		return err
	}
	d.dp = nil
	runtime.SetFinalizer(d, nil)
	return check(capi.Np_datapath_destroy(h), nil)
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
		return 0, &DiagError{Errno: syscall.EINVAL,
			Message: "netpol: Attach needs an ifname or an ifindex"}
	}
	for _, ip := range opts.IPs {
		if ip == "" || strings.ContainsAny(ip, ", \t\n") {
			return 0, &DiagError{Errno: syscall.EINVAL,
				Message: fmt.Sprintf("netpol: bad pod IP %q",
					ip)}
		}
	}
	dg := newDiag()
	defer dg.free()
	err = check(capi.Np_swig_datapath_attach(h, ifname, uint(ifindex),
		opts.Namespace, opts.Name, kind, strings.Join(opts.IPs, ","),
		dg.d), &dg)
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
	err = check(capi.Np_datapath_detach(h, ifx), nil)
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
	dg := newDiag()
	defer dg.free()
	err = check(capi.Np_datapath_apply(h, ifx, r, dg.d), &dg)
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
	err = check(capi.Np_swig_datapath_begin(h, nowait), nil)
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
	dg := newDiag()
	defer dg.free()
	err = check(capi.Np_datapath_commit(h, dg.d), &dg)
	runtime.KeepAlive(d)
	return err
}

// Abort drops what the transaction staged and releases the lock: the
// node keeps its old state. It does nothing without a transaction, or on
// a closed Datapath (Close aborts).
func (d *Datapath) Abort() {
	if h, err := d.handle(); err == nil {
		capi.Np_datapath_abort(h)
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
	dg := newDiag()
	defer dg.free()
	err = check(capi.Np_datapath_fail_closed(h, ifx, mask, dg.d), &dg)
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
	err = check(capi.Np_datapath_gc(h), nil)
	runtime.KeepAlive(d)
	return err
}

// SetEvents switches flow events on or off, for the whole node.
func (d *Datapath) SetEvents(on bool) error {
	h, err := d.handle()
	if err != nil {
		return err
	}
	err = check(capi.Np_datapath_set_events(h, on), nil)
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
	err = check(capi.Np_datapath_set_rule_counters(h, on), nil)
	runtime.KeepAlive(d)
	return err
}

// SetNodeIPs replaces the node addresses, always allowed both ways.
func (d *Datapath) SetNodeIPs(ips ...string) error {
	h, err := d.handle()
	if err != nil {
		return err
	}
	s, err := joinIPs(ips)
	if err != nil {
		return err
	}
	err = check(capi.Np_swig_datapath_set_node_ips(h, s), nil)
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
	c := capi.NewNp_datapath_counters()
	defer capi.DeleteNp_datapath_counters(c)
	err = check(capi.Np_swig_datapath_counters(h, ifx,
		capi.Enum_SS_np_direction(dir), c), nil)
	runtime.KeepAlive(d)
	if err != nil {
		return Counters{}, err
	}
	return Counters{AllowedPackets: c.GetAllowed_packets(),
		AllowedBytes:  c.GetAllowed_bytes(),
		DeniedPackets: c.GetDenied_packets(),
		DeniedBytes:   c.GetDenied_bytes()}, nil
}

// Pods gives the attached pods, in ifindex order.
func (d *Datapath) Pods() ([]DatapathPod, error) {
	h, err := d.handle()
	if err != nil {
		return nil, err
	}
	var s string
	err = check(capi.Np_swig_datapath_pods(h, &s), nil)
	runtime.KeepAlive(d)
	if err != nil {
		return nil, err
	}
	var raw []struct {
		Ifindex int         `json:"ifindex"`
		Ifname  string      `json:"ifname"`
		NS      string      `json:"ns"`
		Name    string      `json:"name"`
		State   [2]PodState `json:"state"`
		RuleSet [2]uint32   `json:"ruleset"`
		IP4     *string     `json:"ip4"`
		IP6     *string     `json:"ip6"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("netpol: pods: %w", err)
	}
	out := make([]DatapathPod, 0, len(raw))
	for _, p := range raw {
		dp := DatapathPod{Ifindex: p.Ifindex,
			Ifname: p.Ifname, Namespace: p.NS, Name: p.Name,
			State: p.State, RuleSet: p.RuleSet}
		if p.IP4 != nil {
			dp.IP4 = net.ParseIP(*p.IP4)
		}
		if p.IP6 != nil {
			dp.IP6 = net.ParseIP(*p.IP6)
		}
		out = append(out, dp)
	}
	return out, nil
}

type rawEvent struct {
	TimeNs    int64     `json:"time_ns"`
	MonoNs    uint64    `json:"mono_ns"`
	Ifindex   int       `json:"ifindex"`
	Direction Direction `json:"direction"`
	Family    int       `json:"family"`
	Src       string    `json:"src"`
	Dst       string    `json:"dst"`
	Sport     uint16    `json:"sport"`
	Dport     uint16    `json:"dport"`
	Protocol  int       `json:"protocol"`
	Allowed   bool      `json:"allowed"`
	Reason    Reason    `json:"reason"`
	RuleSet   uint32    `json:"ruleset"`
	PrefixLen int       `json:"prefixlen"`
	RuleCIDR  string    `json:"rule_cidr"`
	Length    uint32    `json:"length"`
	PodNS     *string   `json:"pod_ns"`
	PodName   *string   `json:"pod_name"`
	Policies  *string   `json:"policies"`
	Tier      Tier      `json:"tier"`
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
	var s string
	err = check(capi.Np_swig_datapath_poll_events(h, ms, max, &s), nil)
	runtime.KeepAlive(d)
	if err != nil {
		return nil, err
	}
	var raw []rawEvent
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("netpol: events: %w", err)
	}
	out := make([]Event, 0, len(raw))
	for _, e := range raw {
		ev := Event{Time: time.Unix(0, e.TimeNs), MonoNs: e.MonoNs,
			Ifindex: e.Ifindex, Direction: e.Direction,
			Family: e.Family, Src: net.ParseIP(e.Src),
			Dst: net.ParseIP(e.Dst), SrcPort: e.Sport,
			DstPort: e.Dport, Protocol: e.Protocol,
			Allowed: e.Allowed, Reason: e.Reason,
			RuleSet: e.RuleSet, PrefixLen: e.PrefixLen,
			RuleCIDR: e.RuleCIDR, Length: e.Length, Tier: e.Tier}
		if e.PodNS != nil {
			ev.Namespace = *e.PodNS
		}
		if e.PodName != nil {
			ev.Pod = *e.PodName
		}
		if e.Policies != nil && *e.Policies != "" {
			ev.Policies = strings.Split(*e.Policies, ", ")
		}
		out = append(out, ev)
	}
	return out, nil
}

// Events gives the flow events that come until none has come for timeout,
// or until max of them (0: no limit; then timeout must be >= 0).
func (d *Datapath) Events(timeout time.Duration, max int) ([]Event,
	error) {
	if max <= 0 && timeout < 0 {
		return nil, &DiagError{Errno: syscall.EINVAL,
			Message: "netpol: Events would never end"}
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
	rc := capi.Np_swig_datapath_test_packet(h, ifx,
		capi.Enum_SS_np_direction(dir), string(frame))
	runtime.KeepAlive(d)
	if err := check(rc, nil); err != nil {
		return 0, err
	}
	return rc, nil
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
	var s string
	err = check(capi.Np_swig_datapath_stats(h, &s), nil)
	runtime.KeepAlive(d)
	if err != nil {
		return DatapathStats{}, err
	}
	var st DatapathStats
	if err := json.Unmarshal([]byte(s), &st); err != nil {
		return DatapathStats{}, fmt.Errorf("netpol: stats: %w", err)
	}
	return st, nil
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
	var s string
	err = check(capi.Np_swig_datapath_hooks(h, ifx, &s), nil)
	runtime.KeepAlive(d)
	if err != nil {
		return [2]Hook{}, err
	}
	var raw struct {
		Ingress Hook `json:"ingress"`
		Egress  Hook `json:"egress"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return [2]Hook{}, fmt.Errorf("netpol: hooks: %w", err)
	}
	var out [2]Hook
	out[Ingress] = raw.Ingress
	out[Egress] = raw.Egress
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
	var r capi.Np_ruleset = capi.SwigcptrNp_ruleset(0)
	if rs != nil {
		if r, err = rs.handle(); err != nil {
			return Explanation{}, err
		}
	}
	var s string
	err = check(capi.Np_swig_datapath_explain(h, ifx,
		capi.Enum_SS_np_direction(dir), peer, int(proto), int(port), r,
		&s), nil)
	runtime.KeepAlive(d)
	runtime.KeepAlive(rs)
	if err != nil {
		return Explanation{}, err
	}
	var v struct {
		Explanation
		Policies string `json:"policies"`
	}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return Explanation{}, fmt.Errorf("netpol: explain: %w", err)
	}
	if v.Policies != "" {
		v.Explanation.Policies = strings.Split(v.Policies, ", ")
	}
	return v.Explanation, nil
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
	var s string
	err = check(capi.Np_swig_datapath_verify(h, ifx, r, &s), nil)
	runtime.KeepAlive(d)
	runtime.KeepAlive(rs)
	if err != nil {
		return nil, err
	}
	return lines(s), nil
}
