// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// Package netpol binds libnetpol: Kubernetes NetworkPolicy compiled to
// eBPF map contents, and the eBPF datapath that enforces it (Datapath).
//
//	c, err := netpol.LoadCluster("policies.yaml")
//	...
//	defer c.Close()
//	v, err := c.Verdict("default/client", "default/web", 80, netpol.TCP)
//
// Every handle (Cluster, RuleSet, MapSet, Datapath) has a Close method that
// frees its C memory; a finalizer does it too, but late.
//
// Errors: a call fails with a *DiagError carrying the library's
// diagnostic (file, line, column, object, field path, reason) and wrapping
// a syscall.Errno, so errors.Is(err, syscall.EINVAL) works. Invalid input
// the library could place comes as an *InvalidError (object, path,
// reason) wrapping the *DiagError; errors.Is(err, ErrInvalid) matches
// every EINVAL, errors.Is(err, ErrNotFound) and errors.Is(err,
// fs.ErrNotExist) every missing file or object (ENOENT).
//
// Logs: ClusterOptions.Log and DatapathOptions.Log receive the library's
// log lines (a LogFunc; LoggerFunc adapts a *log.Logger). The module
// supports Go 1.19, which has no log/slog: a slog user passes
// func(l netpol.LogLevel, m string) { logger.Log(ctx, level(l), m) }.
//
// Change sets: after each event, Cluster.Changes gives the pods whose
// rule sets changed (and the PolicyEndpoints), with their map diffs,
// without compiling the pods the event cannot reach.
//
// Goroutines: a Cluster may be used from several at once (the C
// library's per-cluster lock makes calls take turns, each whole), except
// Close, which must not overlap another call; one goroutine should follow
// Changes. RuleSets, MapSets and ChangeSets are immutable once built. A
// Datapath handle is used from one goroutine at a time.
//
// The binding is hand-written cgo over the public C API (#include
// <netpol.h>, found with pkg-config's libnetpol.pc): `go build` needs a C
// compiler and the installed library, nothing else.
package netpol

// #include <stdlib.h>
// #include "npgo.h"
import "C"

import (
	"encoding/json"
	"fmt"
	"log"
	"runtime"
	"runtime/cgo"
	"strings"
	"syscall"
	"unsafe"
)

type Kind int

// Kinds, with the values of enum np_kind.
const (
	KindNamespace Kind = iota
	KindPod
	KindService
	KindNetworkPolicy
	KindPolicyEndpoint
	// KindClusterNetworkPolicy is policy.networking.k8s.io v1alpha2 or
	// v1beta1; its Admin and Baseline tiers are folded into each pod's
	// rule set (np_ruleset_compile(3)).
	KindClusterNetworkPolicy
	// KindAWSClusterNetworkPolicy is networking.k8s.aws/v1alpha1.
	KindAWSClusterNetworkPolicy
	KindClusterPolicyEndpoint
	// KindNode is a v1 Node: its labels and InternalIP/ExternalIP
	// addresses, for the nodes peers of ClusterNetworkPolicies.
	KindNode
	kindMax
)

func (k Kind) String() string {
	if k < 0 || k >= kindMax {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return C.GoString(C.np_kind_name(C.enum_np_kind(k)))
}

// Direction is a traffic direction, seen from the pod.
type Direction int

// Directions, with the values of enum np_direction.
const (
	Ingress Direction = iota
	Egress
)

func (d Direction) String() string {
	switch d {
	case Ingress:
		return "ingress"
	case Egress:
		return "egress"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// Protocol is a transport protocol, by IP protocol number.
type Protocol int

// Protocols NetworkPolicy knows.
const (
	TCP  Protocol = 6
	UDP  Protocol = 17
	SCTP Protocol = 132
)

func (p Protocol) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	}
	return fmt.Sprintf("Protocol(%d)", int(p))
}

// UnmarshalText reads "TCP", "UDP" or "SCTP".
func (p *Protocol) UnmarshalText(b []byte) error {
	for _, q := range []Protocol{TCP, UDP, SCTP} {
		if strings.EqualFold(string(b), q.String()) {
			*p = q
			return nil
		}
	}
	return fmt.Errorf("netpol: unknown protocol %q", b)
}

// MarshalText writes "TCP", "UDP" or "SCTP".
func (p Protocol) MarshalText() ([]byte, error) {
	return []byte(p.String()), nil
}

// Format is a text format of the library's output.
type Format int

// Formats, with the values of enum np_format.
const (
	YAML Format = 1
	JSON Format = 2
	Text Format = 3
)

// Source says where a pod's rules come from.
type Source int

const (
	// FromPolicies resolves NetworkPolicies (the controller's view).
	FromPolicies Source = iota
	// FromEndpoints uses PolicyEndpoint objects alone (the agent's view).
	FromEndpoints
)

// Layout is a byte layout of LPM-trie entries.
type Layout int

const (
	// LayoutNetpol is libnetpol's: key {u32 prefixlen, u32 rule-set id
	// (big-endian), address}, value {u32 port-set index, u32 counter
	// key (0 here: the datapath numbers keys as it loads them)}.
	LayoutNetpol Layout = iota
	// LayoutEKS is the EKS agent's: key {u32 prefixlen, address}, value
	// 24 x {u32 protocol, u32 start_port, u32 end_port}.
	LayoutEKS
	// LayoutEKSCP is the EKS agent's cp_ingress_map / cp_egress_map: key
	// {u32 prefixlen, address}, value 24 x {u32 protocol, u32 priority,
	// u32 start_port, u32 end_port}; no entry without cluster tiers.
	LayoutEKSCP
)

// Reason says why a flow was allowed or denied: one vocabulary for
// compiler verdicts, datapath verdicts and flow events.
type Reason int

// Reasons, with the values of enum np_reason.
const (
	ReasonRule          Reason = iota // allowed by a rule
	ReasonNotIsolated                 // no policy isolates this direction
	ReasonNode                        // the pod's own node
	ReasonSelf                        // a pod to itself
	ReasonNoMatch                     // no rule covers the peer
	ReasonExcept                      // in an except of every covering rule
	ReasonPort                        // the address matches, the port not
	ReasonDefaultAllow                // standard mode, no rules yet
	ReasonDefaultDeny                 // strict mode, no rules yet
	ReasonConntrack                   // part of a tracked flow
	ReasonRelated                     // ICMP error of a tracked flow
	ReasonMalformed                   // truncated or invalid headers
	ReasonFragment                    // fragment of a datagram not allowed
	ReasonUnenforceable               // rules cannot be enforced: fail closed
	ReasonRevoked                     // tracked flow its new rules deny
	ReasonSpoofed                     // the pod sent from another address
	maxReason           = 0xffff
)

// String gives the library's name (np_reason_name): "rule", "no-match",
// "port", ...; "Reason(N)" for a value that is not one.
func (r Reason) String() string {
	if r >= 0 && r <= maxReason {
		if s := gostrOrEmpty(C.np_reason_name(C.enum_np_reason(r))); s != "" {
			return s
		}
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// MarshalText writes the reason's name.
func (r Reason) MarshalText() ([]byte, error) {
	return []byte(r.String()), nil
}

// Tier is the step that decided a flow (enum np_tier): the numbers and
// names of the EKS agent's flow-log "Tier" field.
type Tier int

// Tiers, with the values of enum np_tier.
const (
	TierUnknown       Tier = iota // not known
	TierAdmin                     // an Admin ClusterNetworkPolicy rule
	TierNetworkPolicy             // NetworkPolicies isolate the direction
	TierBaseline                  // a Baseline ClusterNetworkPolicy rule
	TierDefault                   // nothing decided: allowed
)

// String gives the library's name (np_tier_name): "ADMIN",
// "NETWORK_POLICY", "BASELINE", "DEFAULT", "UNKNOWN"; "Tier(N)" for a
// value that is not one.
func (t Tier) String() string {
	if t >= TierUnknown && t <= TierDefault {
		if s := gostrOrEmpty(C.np_tier_name(C.enum_np_tier(t))); s != "" {
			return s
		}
	}
	return fmt.Sprintf("Tier(%d)", int(t))
}

// MarshalText writes the tier's name.
func (t Tier) MarshalText() ([]byte, error) {
	return []byte(t.String()), nil
}

// LogLevel is the severity of a library log line (enum np_log_level).
type LogLevel int

// Log levels, with the values of enum np_log_level.
const (
	LogError LogLevel = iota
	LogWarn
	LogInfo
	LogDebug
)

func (l LogLevel) String() string {
	switch l {
	case LogError:
		return "error"
	case LogWarn:
		return "warn"
	case LogInfo:
		return "info"
	case LogDebug:
		return "debug"
	}
	return fmt.Sprintf("LogLevel(%d)", int(l))
}

// LogFunc receives the library's log lines: skipped kinds, warnings
// (pods sharing an address, cluster policy rules that cannot be kept),
// libbpf's messages while the datapath loads). It is called on the
// goroutine that made the call, during the call, and must not call back
// into the same handle; a panic in it is recovered and the line dropped.
type LogFunc func(level LogLevel, msg string)

// LoggerFunc gives a LogFunc writing "netpol: LEVEL: msg" lines to l
// (log.Default() when nil).
func LoggerFunc(l *log.Logger) LogFunc {
	if l == nil {
		l = log.Default()
	}
	return func(level LogLevel, msg string) {
		l.Printf("netpol: %s: %s", level, msg)
	}
}

// Version is the C library's version, "0.1.0".
func Version() string {
	return C.GoString(C.np_version())
}

// Cluster is a snapshot of Namespaces, Pods, Services, NetworkPolicies and
// PolicyEndpoints.
type Cluster struct {
	c   *C.struct_np_cluster
	log cgo.Handle // of the LogFunc, 0 when none
}

// ClusterOptions configures NewClusterWith; the zero value is NewCluster.
type ClusterOptions struct {
	// Log receives the library's log lines for this cluster; nil: none.
	Log LogFunc
	// CacheBytes bounds the compiled rule-set cores the compiler keeps
	// for reuse (np_cluster_opts.cache_bytes); 0: the library's default
	// (16 KiB per pod, 2 to 256 MiB; 2 MiB once Changes tracks the pods).
	CacheBytes uint64
}

// NewCluster gives an empty snapshot.
func NewCluster() (*Cluster, error) {
	return NewClusterWith(ClusterOptions{})
}

// NewClusterWith gives an empty snapshot with options.
func NewClusterWith(opts ClusterOptions) (*Cluster, error) {
	c := &Cluster{}
	if opts.Log != nil {
		c.log = cgo.NewHandle(opts.Log)
	}
	var p *C.struct_np_cluster
	if err := check(C.np_go_cluster_new(&p, C.uintptr_t(c.log),
		C.size_t(opts.CacheBytes)),
		nil); err != nil {
		if c.log != 0 {
			c.log.Delete()
		}
		return nil, err
	}
	c.c = p
	runtime.SetFinalizer(c, (*Cluster).Close)
	return c, nil
}

// LoadCluster gives a snapshot of manifest files (YAML, JSON, kind: List;
// "-" is stdin).
func LoadCluster(paths ...string) (*Cluster, error) {
	c, err := NewCluster()
	if err != nil {
		return nil, err
	}
	for _, p := range paths {
		if err := c.LoadFile(p); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Close frees the snapshot. It is safe to call twice.
func (c *Cluster) Close() error {
	if c == nil || c.c == nil {
		return nil
	}
	C.np_cluster_free(c.c)
	c.c = nil
	if c.log != 0 {
		c.log.Delete()
		c.log = 0
	}
	runtime.SetFinalizer(c, nil)
	return nil
}

func (c *Cluster) handle() (*C.struct_np_cluster, error) {
	if c == nil || c.c == nil {
		return nil, ErrClosed
	}
	return c.c, nil
}

// LoadOptions configures a load; nil or the zero value is all or nothing,
// the format guessed.
type LoadOptions struct {
	// SkipInvalid applies the valid objects and skips each invalid one
	// (its previous version, if any, stays); the call then succeeds and
	// the skipped objects come back as Diagnostics. A syntax error still
	// rejects the whole input.
	SkipInvalid bool
	// Format is YAML or JSON; 0 guesses (JSON when the input starts with
	// { or [).
	Format Format
}

func (c *Cluster) load(path string, buf []byte, name string,
	opts *LoadOptions) ([]Diagnostic, error) {
	h, err := c.handle()
	if err != nil {
		return nil, err
	}
	var o LoadOptions
	if opts != nil {
		o = *opts
	}
	if o.Format != 0 && o.Format != YAML && o.Format != JSON {
		return nil, errorf(syscall.EINVAL,
			"netpol: load format %d: not YAML or JSON", int(o.Format))
	}
	diags := []Diagnostic{}
	dh := cgo.NewHandle(&diags)
	defer dh.Delete()
	var d C.struct_np_diag
	var rc C.int
	if buf == nil {
		p := cstr(path)
		defer free(p)
		rc = C.np_go_load(h, p, nil, 0, nil, cbool(o.SkipInvalid),
			C.int(o.Format), C.uintptr_t(dh), &d)
	} else {
		n := cstr(name)
		defer free(n)
		// A Go buffer, pinned for the call; an empty one is a
		// one-byte buffer of length 0 (the library wants a pointer).
		b := buf
		if len(b) == 0 {
			b = []byte{0}
		}
		rc = C.np_go_load(h, nil, unsafe.Pointer(&b[0]),
			C.size_t(len(buf)), n, cbool(o.SkipInvalid),
			C.int(o.Format), C.uintptr_t(dh), &d)
	}
	err = check(rc, &d)
	runtime.KeepAlive(c)
	return diags, err
}

// LoadFile parses, validates and upserts every object of a file: all or
// nothing.
func (c *Cluster) LoadFile(path string) error {
	_, err := c.load(path, nil, "", nil)
	return err
}

// LoadFileWith is LoadFile with options (nil: LoadFile's). It gives every
// problem: with SkipInvalid, each object skipped (the call succeeds);
// without, each problem of the rejected input (the first is the error).
// A missing file is errors.Is(err, ErrNotFound).
func (c *Cluster) LoadFileWith(path string, opts *LoadOptions) ([]Diagnostic,
	error) {
	return c.load(path, nil, "", opts)
}

// LoadBytes is LoadFileWith for YAML or JSON bytes; name is the input's
// name in diagnostics ("" for "<bytes>").
func (c *Cluster) LoadBytes(b []byte, name string,
	opts *LoadOptions) ([]Diagnostic, error) {
	if name == "" {
		name = "<bytes>"
	}
	if b == nil {
		b = []byte{}
	}
	return c.load("", b, name, opts)
}

// Apply upserts the objects of YAML or JSON text: all or nothing.
func (c *Cluster) Apply(text string) error {
	return c.ApplyNamed(text, "<string>")
}

// ApplyNamed is Apply with the input's name for diagnostics.
func (c *Cluster) ApplyNamed(text, name string) error {
	_, err := c.load("", []byte(text), name, nil)
	return err
}

// ApplyBytes is Apply for YAML or JSON bytes.
func (c *Cluster) ApplyBytes(b []byte) error {
	_, err := c.LoadBytes(b, "<bytes>", nil)
	return err
}

func kindArg(kind Kind) (C.enum_np_kind, error) {
	if kind < 0 || kind >= kindMax {
		return 0, errorf(syscall.EINVAL, "netpol: invalid kind %d",
			int(kind))
	}
	return C.enum_np_kind(kind), nil
}

// Delete removes one object (ns is ignored for cluster-scoped kinds);
// ENOENT (ErrNotFound) when there is none, the error's Object naming it
// ("Pod x/nobody").
func (c *Cluster) Delete(kind Kind, ns, name string) error {
	h, err := c.handle()
	if err != nil {
		return err
	}
	k, err := kindArg(kind)
	if err != nil {
		return err
	}
	cns, cname := cstr(ns), cstr(name)
	defer free(cns)
	defer free(cname)
	err = check(C.np_cluster_delete(h, k, cns, cname), nil)
	runtime.KeepAlive(c)
	// The C call has no diagnostic: name the object here.
	if de, ok := err.(*DiagError); ok && de.Object == "" {
		de.Object = kind.String() + " " + name
		if !kind.clusterScoped() {
			de.Object = kind.String() + " " + ns + "/" + name
		}
		de.text = de.Object + ": " + de.Message
	}
	return err
}

func (k Kind) clusterScoped() bool {
	switch k {
	case KindNamespace, KindClusterNetworkPolicy,
		KindAWSClusterNetworkPolicy, KindClusterPolicyEndpoint, KindNode:
		return true
	}
	return false
}

// Count is the number of objects of a kind.
func (c *Cluster) Count(kind Kind) int {
	h, err := c.handle()
	if err != nil {
		return 0
	}
	k, err := kindArg(kind)
	if err != nil {
		return 0
	}
	n := C.np_cluster_count(h, k)
	runtime.KeepAlive(c)
	return int(n)
}

// Names gives "namespace/name" (Namespaces: "name") of every object of a
// kind, sorted.
func (c *Cluster) Names(kind Kind) ([]string, error) {
	h, err := c.handle()
	if err != nil {
		return nil, err
	}
	k, err := kindArg(kind)
	if err != nil {
		return nil, err
	}
	var out *C.char
	err = check(C.np_cluster_names(h, k, &out), nil)
	runtime.KeepAlive(c)
	s := takeString(out)
	if err != nil {
		return nil, err
	}
	return lines(s), nil
}

// Export gives every object of a kind as a kind: List, normalized.
func (c *Cluster) Export(kind Kind, f Format) (string, error) {
	h, err := c.handle()
	if err != nil {
		return "", err
	}
	k, err := kindArg(kind)
	if err != nil {
		return "", err
	}
	var out *C.char
	err = check(C.np_cluster_export(h, k, C.enum_np_format(f), &out), nil)
	runtime.KeepAlive(c)
	return takeString(out), err
}

// EndpointsText gives every NetworkPolicy resolved into PolicyEndpoints,
// then every ClusterNetworkPolicy into ClusterPolicyEndpoints, as a
// kind: List in YAML or JSON.
func (c *Cluster) EndpointsText(f Format) (string, error) {
	h, err := c.handle()
	if err != nil {
		return "", err
	}
	var out *C.char
	var d C.struct_np_diag
	err = check(C.np_cluster_endpoints(h, C.enum_np_format(f), &out, &d),
		&d)
	runtime.KeepAlive(c)
	return takeString(out), err
}

// PolicyEndpoint is a networking.k8s.aws/v1alpha1 PolicyEndpoint.
type PolicyEndpoint struct {
	Name      string
	Namespace string
	Spec      PolicyEndpointSpec
}

// PolicyEndpointSpec is the spec of a PolicyEndpoint, as the CRD has it.
type PolicyEndpointSpec struct {
	PodSelector          json.RawMessage `json:"podSelector"`
	PolicyRef            ObjectRef       `json:"policyRef"`
	PodIsolation         []string        `json:"podIsolation"`
	PodSelectorEndpoints []PodEndpoint   `json:"podSelectorEndpoints"`
	Ingress              []EndpointInfo  `json:"ingress"`
	Egress               []EndpointInfo  `json:"egress"`
}

// ObjectRef names an object.
type ObjectRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// PodEndpoint is a pod a PolicyEndpoint applies to.
type PodEndpoint struct {
	HostIP    string `json:"hostIP"`
	PodIP     string `json:"podIP"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// EndpointInfo is one peer CIDR with its ports.
type EndpointInfo struct {
	CIDR   string   `json:"cidr"`
	Except []string `json:"except,omitempty"`
	Ports  []Port   `json:"ports,omitempty"`
}

// Port is a protocol with a port or range; nil Port means every port.
type Port struct {
	Protocol Protocol `json:"protocol"`
	Port     *int32   `json:"port,omitempty"`
	EndPort  *int32   `json:"endPort,omitempty"`
}

// Endpoints gives every NetworkPolicy resolved into PolicyEndpoints.
func (c *Cluster) Endpoints() ([]PolicyEndpoint, error) {
	s, err := c.EndpointsText(JSON)
	if err != nil {
		return nil, err
	}
	var list struct {
		Items []struct {
			Kind     string             `json:"kind"`
			Metadata ObjectRef          `json:"metadata"`
			Spec     PolicyEndpointSpec `json:"spec"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("netpol: endpoints: %w", err)
	}
	out := make([]PolicyEndpoint, 0, len(list.Items))
	for _, it := range list.Items {
		if it.Kind != "PolicyEndpoint" {
			continue
		}
		out = append(out, PolicyEndpoint{Name: it.Metadata.Name,
			Namespace: it.Metadata.Namespace, Spec: it.Spec})
	}
	return out, nil
}

// ClusterPolicyEndpoint is a networking.k8s.aws/v1alpha1
// ClusterPolicyEndpoint (cluster-scoped).
type ClusterPolicyEndpoint struct {
	Name string
	Spec ClusterPolicyEndpointSpec
}

// ClusterPolicyEndpointSpec is the spec of a ClusterPolicyEndpoint: its
// entries in rule order (the first that matches decides).
type ClusterPolicyEndpointSpec struct {
	PolicyRef            ObjectRef             `json:"policyRef"`
	Tier                 string                `json:"tier"`
	Priority             int32                 `json:"priority"`
	Subject              json.RawMessage       `json:"subject,omitempty"`
	PodSelectorEndpoints []PodEndpoint         `json:"podSelectorEndpoints"`
	Ingress              []ClusterEndpointInfo `json:"ingress"`
	Egress               []ClusterEndpointInfo `json:"egress"`
}

// ClusterEndpointInfo is one entry: an action for a CIDR (or a domain
// name) and ports (none: every protocol and port).
type ClusterEndpointInfo struct {
	Action     string `json:"action"`
	CIDR       string `json:"cidr,omitempty"`
	DomainName string `json:"domainName,omitempty"`
	Ports      []Port `json:"ports,omitempty"`
}

// ClusterEndpoints gives every ClusterNetworkPolicy (both API groups)
// resolved into ClusterPolicyEndpoints.
func (c *Cluster) ClusterEndpoints() ([]ClusterPolicyEndpoint, error) {
	s, err := c.EndpointsText(JSON)
	if err != nil {
		return nil, err
	}
	var list struct {
		Items []struct {
			Kind     string                    `json:"kind"`
			Metadata ObjectRef                 `json:"metadata"`
			Spec     ClusterPolicyEndpointSpec `json:"spec"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("netpol: endpoints: %w", err)
	}
	var out []ClusterPolicyEndpoint
	for _, it := range list.Items {
		if it.Kind == "ClusterPolicyEndpoint" {
			out = append(out, ClusterPolicyEndpoint{
				Name: it.Metadata.Name, Spec: it.Spec})
		}
	}
	return out, nil
}

// Compile gives the rule set of pod ns/name from the NetworkPolicies.
func (c *Cluster) Compile(ns, name string) (*RuleSet, error) {
	return c.CompileFrom(ns, name, FromPolicies)
}

// CompileFrom gives the rule set of pod ns/name from a source.
func (c *Cluster) CompileFrom(ns, name string, src Source) (*RuleSet, error) {
	h, err := c.handle()
	if err != nil {
		return nil, err
	}
	o := C.struct_np_compile_opts{source: C.enum_np_source(src)}
	o.sz = C.size_t(unsafe.Sizeof(o))
	cns, cname := cstr(ns), cstr(name)
	defer free(cns)
	defer free(cname)
	var d C.struct_np_diag
	var p *C.struct_np_ruleset
	err = check(C.np_ruleset_compile(&p, h, cns, cname, &o, &d), &d)
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	rs := &RuleSet{rs: p}
	runtime.SetFinalizer(rs, (*RuleSet).Close)
	return rs, nil
}

// Verdict is the decision on a flow.
type Verdict struct {
	Allowed   bool
	Reason    Reason
	Direction Direction // the side that decided
	Key       string    // matched prefix, "" when none
	Slot      int       // matched port slot, -1 when none
	// who decided: "ns/name ingress[0]" that allowed it, or the
	// ClusterNetworkPolicy rule, "cnp/name egress[1] (Admin)", that
	// allowed or denied it
	Policies []string
	Tier     Tier // the tier that decided
}

func verdictOf(v *C.struct_np_verdict) Verdict {
	out := Verdict{
		Allowed:   bool(v.allowed),
		Reason:    Reason(v.reason),
		Direction: Direction(v.direction),
		Key:       gostr(&v.key[0]),
		Slot:      int(v.slot),
		Tier:      Tier(v.tier),
	}
	if p := gostr(&v.policies[0]); p != "" {
		out.Policies = strings.Split(p, ", ")
	}
	return out
}

func protoArg(proto Protocol) (C.enum_np_protocol, error) {
	if proto < 0 || proto > 255 {
		return 0, errorf(syscall.EINVAL, "netpol: invalid protocol %d",
			int(proto))
	}
	return C.enum_np_protocol(proto), nil
}

// Verdict decides a connection from one endpoint to another, each
// "ns/pod" or an IP address outside the cluster.
func (c *Cluster) Verdict(from, to string, port uint16,
	proto Protocol) (Verdict, error) {
	h, err := c.handle()
	if err != nil {
		return Verdict{}, err
	}
	p, err := protoArg(proto)
	if err != nil {
		return Verdict{}, err
	}
	o := C.struct_np_compile_opts{source: C.NP_SOURCE_POLICIES}
	o.sz = C.size_t(unsafe.Sizeof(o))
	cfrom, cto := cstr(from), cstr(to)
	defer free(cfrom)
	defer free(cto)
	var d C.struct_np_diag
	var v C.struct_np_verdict
	err = check(C.np_cluster_verdict(h, cfrom, cto, p, C.uint16_t(port),
		&o, &v, &d), &d)
	runtime.KeepAlive(c)
	if err != nil {
		return Verdict{}, err
	}
	return verdictOf(&v), nil
}

type AttribReason int

// Attribution reasons, with the values of enum np_attrib_reason.
const (
	AttribMatch             AttribReason = iota // the rule allows it
	AttribPodSelectorNone                       // selects no pod at all
	AttribPodSelectorOthers                     // selects other pods
	AttribNamespaceSelector                     // not the peer's namespace
	AttribNamespace                             // peer in another namespace
	AttribNotAPod                               // peer is an outside address
	AttribIPBlockCIDR                           // cidr does not contain it
	AttribIPBlockExcept                         // an except covers it
	AttribPort                                  // port or protocol not listed
	AttribNamedPort                             // named port not on the pod
	AttribNoRules                               // no rule in that direction
	AttribClusterDeny                           // a cluster policy Deny rule
	AttribUnknown                               // from PolicyEndpoints
	maxAttribReason         = 0xffff
)

// String gives the library's name (np_attrib_reason_name): "match",
// "pod-selector-none", ...; "AttribReason(N)" for a value that is not one.
func (r AttribReason) String() string {
	if r >= 0 && r <= maxAttribReason {
		s := gostrOrEmpty(C.np_attrib_reason_name(C.enum_np_attrib_reason(r)))
		if s != "" {
			return s
		}
	}
	return fmt.Sprintf("AttribReason(%d)", int(r))
}

// MarshalText writes the reason's name.
func (r AttribReason) MarshalText() ([]byte, error) {
	return []byte(r.String()), nil
}

// UnmarshalText reads a reason's name.
func (r *AttribReason) UnmarshalText(b []byte) error {
	for v := AttribMatch; v <= AttribUnknown; v++ {
		if v.String() == string(b) {
			*r = v
			return nil
		}
	}
	return fmt.Errorf("netpol: unknown attribution reason %q", b)
}

// AttribEnd is one end of an attributed connection.
type AttribEnd struct {
	Endpoint string `json:"endpoint"` // as given
	Pod      string `json:"pod"`      // "ns/name", "" for an address
	IP       string `json:"ip"`       // the address judged
}

// AttribFinding is one rule and why it matched the peer or not, or a
// policy as a whole (Rule -1).
type AttribFinding struct {
	Policy   string       // "ns/name", "cnp/name"
	Tier     string       // "NETWORK_POLICY", "ADMIN", "BASELINE"
	Rule     int          // index in the policy's rules; -1: the policy
	RuleName string       // as written, "" when none
	Peer     int          // index in the rule's from/to; -1: ports, rule
	Reason   AttribReason // why
	Detail   string       // a sentence
	Pods     []string     // PodSelectorOthers: some pods it selects
	PodCount int          // how many pods the selector selects
}

// UnmarshalJSON reads a finding of the ATTRIBUTION document (a null
// rule or peer is -1).
func (f *AttribFinding) UnmarshalJSON(b []byte) error {
	var raw struct {
		Policy   string       `json:"policy"`
		Tier     string       `json:"tier"`
		Rule     *int         `json:"rule"`
		RuleName *string      `json:"ruleName"`
		Peer     *int         `json:"peer"`
		Reason   AttribReason `json:"reason"`
		Detail   string       `json:"detail"`
		Pods     []string     `json:"pods"`
		PodCount int          `json:"podCount"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*f = AttribFinding{Policy: raw.Policy, Tier: raw.Tier, Rule: -1,
		Peer: -1, Reason: raw.Reason, Detail: raw.Detail, Pods: raw.Pods,
		PodCount: raw.PodCount}
	if raw.Rule != nil {
		f.Rule = *raw.Rule
	}
	if raw.Peer != nil {
		f.Peer = *raw.Peer
	}
	if raw.RuleName != nil {
		f.RuleName = *raw.RuleName
	}
	return nil
}

// AttribSide is the verdict of one side (the source's egress, the
// destination's ingress) and who decided.
type AttribSide struct {
	Direction  string          `json:"direction"`
	Pod        string          `json:"pod"`
	Allowed    bool            `json:"allowed"`
	Reason     string          `json:"reason"`
	Tier       string          `json:"tier"`
	Key        string          `json:"key"`
	Policies   string          `json:"policies"`
	IsolatedBy []string        `json:"isolatedBy"`
	Findings   []AttribFinding `json:"findings"`
}

// Attribution says why a connection is allowed or denied
// (np_cluster_attribute(3); the schema of netpol(8), ATTRIBUTION).
type Attribution struct {
	Allowed  bool         `json:"allowed"`
	From     AttribEnd    `json:"from"`
	To       AttribEnd    `json:"to"`
	Protocol Protocol     `json:"protocol"`
	Port     uint16       `json:"port"`
	Self     bool         `json:"self"`
	Sides    []AttribSide `json:"sides"`
	// JSON is the document as the library wrote it.
	JSON string `json:"-"`
}

// AttribOptions chooses the sides judged and how many pods a finding
// names; the zero value judges both, from the NetworkPolicies, naming 3.
type AttribOptions struct {
	Source     Source
	Directions []Direction // the sides: Egress the source's, Ingress the destination's
	MaxPods    uint
}

// Attribute says why a connection from one endpoint to another ("ns/pod"
// or an IP address) is allowed or denied: each side's verdict, the
// policies isolating the pod and, rule by rule, why none matched, or the
// rules that allowed it. opts may be nil.
func (c *Cluster) Attribute(from, to string, port uint16, proto Protocol,
	opts *AttribOptions) (*Attribution, error) {
	h, err := c.handle()
	if err != nil {
		return nil, err
	}
	p, err := protoArg(proto)
	if err != nil {
		return nil, err
	}
	o := C.struct_np_attrib_opts{}
	o.sz = C.size_t(unsafe.Sizeof(o))
	if opts != nil {
		o.source = C.enum_np_source(opts.Source)
		for _, d := range opts.Directions {
			if d != Ingress && d != Egress {
				return nil, fmt.Errorf("netpol: direction %d", d)
			}
			o.directions |= 1 << uint(d)
		}
		o.max_pods = C.uint(opts.MaxPods)
	}
	cfrom, cto := cstr(from), cstr(to)
	defer free(cfrom)
	defer free(cto)
	var d C.struct_np_diag
	var a *C.struct_np_attrib
	err = check(C.np_cluster_attribute(&a, h, cfrom, cto, p,
		C.uint16_t(port), &o, &d), &d)
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	defer C.np_attrib_free(a)
	var out *C.char
	if err := check(C.np_attrib_format(a, C.NP_FORMAT_JSON, &out),
		nil); err != nil {
		return nil, err
	}
	s := takeString(out)
	at := &Attribution{JSON: s}
	if err := json.Unmarshal([]byte(s), at); err != nil {
		return nil, fmt.Errorf("netpol: attribution: %w", err)
	}
	return at, nil
}

// Isolating gives the policies that apply to pod ns/name in one
// direction whatever the peer (np_cluster_isolating(3)): the
// NetworkPolicies that isolate it, then "cnp/name (Admin)" cluster
// policies with rules for it there.
func (c *Cluster) Isolating(ns, name string, dir Direction,
	src Source) ([]string, error) {
	h, err := c.handle()
	if err != nil {
		return nil, err
	}
	o := C.struct_np_attrib_opts{source: C.enum_np_source(src)}
	o.sz = C.size_t(unsafe.Sizeof(o))
	cns, cname := cstr(ns), cstr(name)
	defer free(cns)
	defer free(cname)
	var d C.struct_np_diag
	var out *C.char
	err = check(C.np_cluster_isolating(h, cns, cname,
		C.enum_np_direction(dir), &o, &out, &d), &d)
	runtime.KeepAlive(c)
	s := takeString(out)
	if err != nil || s == "" {
		return nil, err
	}
	return strings.Split(s, ", "), nil
}

type MatrixOptions struct {
	Ports     []uint16
	Protocols []Protocol
	Family    int // 4 (default) or 6
	Source    Source
}

// Reachability is one cell of the matrix.
type Reachability struct {
	From     string   `json:"from"`
	To       string   `json:"to"`
	Protocol Protocol `json:"protocol"`
	Port     uint16   `json:"port"`
	Allowed  bool     `json:"allowed"`
}

func (c *Cluster) matrix(opts *MatrixOptions, f Format) (string, error) {
	h, err := c.handle()
	if err != nil {
		return "", err
	}
	o := C.struct_np_matrix_opts{family: 4}
	o.sz = C.size_t(unsafe.Sizeof(o))
	// C copies of the lists, for the call.
	ports := (*[64]C.uint16_t)(C.calloc(64, 2))
	protos := (*[3]C.enum_np_protocol)(C.calloc(3,
		C.size_t(unsafe.Sizeof(C.enum_np_protocol(0)))))
	defer C.free(unsafe.Pointer(ports))
	defer C.free(unsafe.Pointer(protos))
	if opts != nil {
		if opts.Family != 0 {
			o.family = C.int(opts.Family)
		}
		o.source = C.enum_np_source(opts.Source)
		if len(opts.Ports) > len(ports) ||
			len(opts.Protocols) > len(protos) {
			return "", errorf(syscall.E2BIG,
				"netpol: at most %d ports and %d protocols",
				len(ports), len(protos))
		}
		for i, p := range opts.Ports {
			if p == 0 {
				return "", errorf(syscall.EINVAL,
					"netpol: matrix port 0")
			}
			ports[i] = C.uint16_t(p)
		}
		for i, p := range opts.Protocols {
			if p != TCP && p != UDP && p != SCTP {
				return "", errorf(syscall.EINVAL,
					"netpol: matrix protocol %d", int(p))
			}
			protos[i] = C.enum_np_protocol(p)
		}
		if len(opts.Ports) > 0 {
			o.ports = &ports[0]
			o.nports = C.size_t(len(opts.Ports))
		}
		if len(opts.Protocols) > 0 {
			o.protocols = &protos[0]
			o.nprotocols = C.size_t(len(opts.Protocols))
		}
	}
	var out *C.char
	var d C.struct_np_diag
	err = check(C.np_cluster_matrix(h, &o, C.enum_np_format(f), &out, &d),
		&d)
	runtime.KeepAlive(c)
	return takeString(out), err
}

func (c *Cluster) Matrix(opts *MatrixOptions) ([]Reachability, error) {
	s, err := c.matrix(opts, JSON)
	if err != nil {
		return nil, err
	}
	var out []Reachability
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("netpol: matrix: %w", err)
	}
	return out, nil
}

// MatrixText gives the matrix as the Kubernetes e2e tests print it.
func (c *Cluster) MatrixText(opts *MatrixOptions) (string, error) {
	return c.matrix(opts, Text)
}

// RuleSet is the compiled rules of one pod: immutable.
// RuleSet is the compiled rules of one pod: immutable.
type RuleSet struct {
	rs *C.struct_np_ruleset
	// the change set it is borrowed from (Change.RuleSet), nil: owned
	owner *ChangeSet
}

// Close frees the rule set. It is safe to call twice; a rule set of a
// ChangeSet stays until the change set's Close.
func (r *RuleSet) Close() error {
	if r == nil || r.rs == nil {
		return nil
	}
	if r.owner == nil {
		C.np_ruleset_free(r.rs)
	}
	r.rs = nil
	r.owner = nil
	runtime.SetFinalizer(r, nil)
	return nil
}

func (r *RuleSet) handle() (*C.struct_np_ruleset, error) {
	if r == nil || r.rs == nil || (r.owner != nil && r.owner.ch == nil) {
		return nil, ErrClosed
	}
	return r.rs, nil
}

// Hash is the content hash: equal rule sets, equal hashes (0 when closed).
func (r *RuleSet) Hash() uint64 {
	h, err := r.handle()
	if err != nil {
		return 0
	}
	v := C.np_ruleset_hash(h)
	runtime.KeepAlive(r)
	return uint64(v)
}

// Export gives the rule set as YAML, JSON or text.
func (r *RuleSet) Export(f Format) (string, error) {
	h, err := r.handle()
	if err != nil {
		return "", err
	}
	var out *C.char
	err = check(C.np_ruleset_export(h, C.enum_np_format(f), &out), nil)
	runtime.KeepAlive(r)
	return takeString(out), err
}

// Verdict decides a flow of the rule set's pod: peer is the other end's
// address, port the destination port.
func (r *RuleSet) Verdict(dir Direction, peer string, port uint16,
	proto Protocol) (Verdict, error) {
	h, err := r.handle()
	if err != nil {
		return Verdict{}, err
	}
	p, err := protoArg(proto)
	if err != nil {
		return Verdict{}, err
	}
	cpeer := cstr(peer)
	defer free(cpeer)
	var v C.struct_np_verdict
	err = check(C.np_ruleset_verdict(h, C.enum_np_direction(dir), cpeer, p,
		C.uint16_t(port), &v), nil)
	runtime.KeepAlive(r)
	if err != nil {
		return Verdict{}, err
	}
	return verdictOf(&v), nil
}

// MapSet encodes the rule set's eBPF map contents.
func (r *RuleSet) MapSet() (*MapSet, error) {
	h, err := r.handle()
	if err != nil {
		return nil, err
	}
	var p *C.struct_np_mapset
	err = check(C.np_mapset_encode(&p, h), nil)
	runtime.KeepAlive(r)
	if err != nil {
		return nil, err
	}
	m := &MapSet{ms: p}
	runtime.SetFinalizer(m, (*MapSet).Close)
	return m, nil
}

// LPMEntries gives the LPM-trie entries of a family (4 or 6) and
// direction in libnetpol's layout, under rule-set id 1.
func (r *RuleSet) LPMEntries(family int, dir Direction) ([]Entry, error) {
	m, err := r.MapSet()
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return m.LPMEntries(family, dir, LayoutNetpol, 1)
}

// MapSet is the LPM-trie and port-map contents of a rule set.
type MapSet struct {
	ms *C.struct_np_mapset
}

// Entry is one LPM-trie entry, as the kernel map holds it.
type Entry struct {
	Key   []byte
	Value []byte
}

// Close frees the map set. It is safe to call twice.
func (m *MapSet) Close() error {
	if m == nil || m.ms == nil {
		return nil
	}
	C.np_mapset_free(m.ms)
	m.ms = nil
	runtime.SetFinalizer(m, nil)
	return nil
}

func (m *MapSet) handle() (*C.struct_np_mapset, error) {
	if m == nil || m.ms == nil {
		return nil, ErrClosed
	}
	return m.ms, nil
}

// Count is the number of LPM entries of a family (4 or 6) and direction.
func (m *MapSet) Count(family int, dir Direction) int {
	h, err := m.handle()
	if err != nil {
		return 0
	}
	n := C.np_mapset_count(h, C.int(family), C.enum_np_direction(dir))
	runtime.KeepAlive(m)
	return int(n)
}

// LPMEntries gives the LPM-trie entries of a family and direction in a
// layout; id is the rule-set id (LayoutNetpol only).
func (m *MapSet) LPMEntries(family int, dir Direction, layout Layout,
	id uint32) ([]Entry, error) {
	h, err := m.handle()
	if err != nil {
		return nil, err
	}
	o := C.struct_np_mapset_lpm_opts{layout: C.enum_np_layout(layout),
		ruleset_id: C.uint32_t(id)}
	o.sz = C.size_t(unsafe.Sizeof(o))
	var data C.struct_np_mapset_lpm_data
	err = check(C.np_mapset_lpm(h, C.int(family), C.enum_np_direction(dir),
		&o, &data), nil)
	runtime.KeepAlive(m)
	if err != nil {
		return nil, err
	}
	defer C.np_free(data.keys)
	defer C.np_free(data.values)
	n, ks, vs := int(data.count), int(data.key_size), int(data.value_size)
	keys := C.GoBytes(data.keys, C.int(n*ks))
	values := C.GoBytes(data.values, C.int(n*vs))
	out := make([]Entry, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, Entry{Key: keys[i*ks : (i+1)*ks : (i+1)*ks],
			Value: values[i*vs : (i+1)*vs : (i+1)*vs]})
	}
	return out, nil
}

// PortSets gives the distinct port sets, as the port map holds them.
func (m *MapSet) PortSets() ([][]byte, error) {
	h, err := m.handle()
	if err != nil {
		return nil, err
	}
	var sets unsafe.Pointer
	var size, count C.size_t
	err = check(C.np_mapset_portsets(h, &sets, &size, &count), nil)
	runtime.KeepAlive(m)
	if err != nil {
		return nil, err
	}
	defer C.np_free(sets)
	n, sz := int(count), int(size)
	all := C.GoBytes(sets, C.int(n*sz))
	out := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, all[i*sz:(i+1)*sz:(i+1)*sz])
	}
	return out, nil
}

// Export gives the contents as text (like the EKS dump-maps) or JSON.
func (m *MapSet) Export(f Format) (string, error) {
	h, err := m.handle()
	if err != nil {
		return "", err
	}
	var out *C.char
	err = check(C.np_mapset_export(h, C.enum_np_format(f), &out), nil)
	runtime.KeepAlive(m)
	return takeString(out), err
}

// DiffStats counts what changes from one map set to another.
type DiffStats struct {
	Added, Changed, Removed int
}

// Diff gives what changes from m to to, and each difference, one a line.
func (m *MapSet) Diff(to *MapSet) (DiffStats, []string, error) {
	h, err := m.handle()
	if err != nil {
		return DiffStats{}, nil, err
	}
	t, err := to.handle()
	if err != nil {
		return DiffStats{}, nil, err
	}
	var st C.struct_np_mapset_diff_stats
	var out *C.char
	err = check(C.np_mapset_diff(h, t, &st, &out), nil)
	runtime.KeepAlive(m)
	runtime.KeepAlive(to)
	s := takeString(out)
	if err != nil {
		return DiffStats{}, nil, err
	}
	return DiffStats{Added: int(st.added), Changed: int(st.changed),
		Removed: int(st.removed)}, lines(s), nil
}

func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "\n")
}
