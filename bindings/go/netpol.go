// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// Package netpol binds libnetpol: Kubernetes NetworkPolicy compiled to
// eBPF map contents, and the eBPF datapath that enforces it (Datapath).
//
//	c, err := netpol.LoadCluster("policies.yaml")
//	...
//	defer c.Close()
//	v, err := c.Verdict("default/client", "default/web", 80, netpol.TCP)
//
// Every handle (Cluster, RuleSet, MapSet, Datapath) has a Close method that frees its
// C memory; a finalizer does it too, but late. Errors wrap a syscall.Errno
// (errors.Is(err, syscall.EINVAL)) and are *DiagError values with the
// library's diagnostic. A handle must not be used from two goroutines at
// once; RuleSets and MapSets are immutable once built.
//
// The raw calls come from SWIG (internal/capi, generated at build time from
// bindings/netpol.i, the interface shared with Python); this file is the
// idiomatic layer over them.
package netpol

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"syscall"

	"libnetpol.dev/netpol/internal/capi"
)

// Kind is a kind of Kubernetes object the library understands.
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
	return capi.Np_kind_name(capi.Enum_SS_np_kind(k))
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
		if s := capi.Np_reason_name(capi.Enum_SS_np_reason(r)); s != "" {
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
		if s := capi.Np_tier_name(capi.Enum_SS_np_tier(t)); s != "" {
			return s
		}
	}
	return fmt.Sprintf("Tier(%d)", int(t))
}

// MarshalText writes the tier's name.
func (t Tier) MarshalText() ([]byte, error) {
	return []byte(t.String()), nil
}

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

// Unwrap gives the syscall.Errno, for errors.Is(err, syscall.EINVAL).
func (e *DiagError) Unwrap() error {
	return e.Errno
}

// ErrClosed wraps EBADF: a method was called on a closed handle.
var ErrClosed = &DiagError{Errno: syscall.EBADF,
	Message: "netpol: use of a closed handle"}

// diag is a struct np_diag for one call.
type diag struct {
	d capi.Np_diag
}

func newDiag() diag {
	return diag{capi.NewNp_diag()}
}

func (d diag) free() {
	capi.DeleteNp_diag(d.d)
}

// check turns a return code (and the call's diagnostic, if any) into an
// error.
func check(rc int, d *diag) error {
	if rc >= 0 {
		return nil
	}
	e := &DiagError{Errno: syscall.Errno(-rc)}
	if d != nil && d.d.GetErr() == rc {
		e.File = d.d.GetFile()
		e.Line = int(d.d.GetLine())
		e.Column = int(d.d.GetColumn())
		e.Object = d.d.GetObject()
		e.Path = d.d.GetPath()
		e.Message = d.d.GetMessage()
		buf := make([]byte, 2048)
		if capi.Np_diag_format(d.d, buf) >= 0 {
			if i := bytes.IndexByte(buf, 0); i >= 0 {
				e.text = string(buf[:i])
			}
		}
	}
	if e.Message == "" {
		e.Message = capi.Np_strerror(rc)
	}
	return e
}

// Version is the C library's version, "0.1.0".
func Version() string {
	return capi.Np_version()
}

// Cluster is a snapshot of Namespaces, Pods, Services, NetworkPolicies and
// PolicyEndpoints.
type Cluster struct {
	c capi.Np_cluster
}

// NewCluster gives an empty snapshot.
func NewCluster() (*Cluster, error) {
	p := []uintptr{0}
	if err := check(capi.Np_cluster_new(p), nil); err != nil {
		return nil, err
	}
	c := &Cluster{c: capi.SwigcptrNp_cluster(p[0])}
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
	capi.DeleteNp_cluster(c.c)
	c.c = nil
	runtime.SetFinalizer(c, nil)
	return nil
}

func (c *Cluster) handle() (capi.Np_cluster, error) {
	if c == nil || c.c == nil {
		return nil, ErrClosed
	}
	return c.c, nil
}

func loadOpts(skipInvalid bool) capi.Np_load_opts {
	o := capi.NewNp_load_opts()
	o.SetSkip_invalid(skipInvalid)
	return o
}

// LoadFile parses, validates and upserts every object of a file: all or
// nothing.
func (c *Cluster) LoadFile(path string) error {
	h, err := c.handle()
	if err != nil {
		return err
	}
	o, d := loadOpts(false), newDiag()
	defer capi.DeleteNp_load_opts(o)
	defer d.free()
	err = check(capi.Np_cluster_load_file(h, path, o, d.d), &d)
	runtime.KeepAlive(c)
	return err
}

// Apply upserts the objects of YAML or JSON text: all or nothing.
func (c *Cluster) Apply(text string) error {
	return c.ApplyNamed(text, "<string>")
}

// ApplyNamed is Apply with the input's name for diagnostics.
func (c *Cluster) ApplyNamed(text, name string) error {
	h, err := c.handle()
	if err != nil {
		return err
	}
	o, d := loadOpts(false), newDiag()
	defer capi.DeleteNp_load_opts(o)
	defer d.free()
	err = check(capi.Np_cluster_load_buffer(h, text, name, o, d.d), &d)
	runtime.KeepAlive(c)
	return err
}

// Delete removes one object (ns is ignored for Namespaces); ENOENT when
// there is none.
func (c *Cluster) Delete(kind Kind, ns, name string) error {
	h, err := c.handle()
	if err != nil {
		return err
	}
	err = check(capi.Np_cluster_delete(h, capi.Enum_SS_np_kind(kind), ns,
		name), nil)
	runtime.KeepAlive(c)
	return err
}

// Count is the number of objects of a kind.
func (c *Cluster) Count(kind Kind) int {
	h, err := c.handle()
	if err != nil {
		return 0
	}
	n := capi.Np_cluster_count(h, capi.Enum_SS_np_kind(kind))
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
	var s string
	err = check(capi.Np_cluster_names(h, capi.Enum_SS_np_kind(kind), &s),
		nil)
	runtime.KeepAlive(c)
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
	var s string
	err = check(capi.Np_cluster_export(h, capi.Enum_SS_np_kind(kind),
		capi.Enum_SS_np_format(f), &s), nil)
	runtime.KeepAlive(c)
	return s, err
}

// EndpointsText gives every NetworkPolicy resolved into PolicyEndpoints,
// then every ClusterNetworkPolicy into ClusterPolicyEndpoints, as a
// kind: List in YAML or JSON.
func (c *Cluster) EndpointsText(f Format) (string, error) {
	h, err := c.handle()
	if err != nil {
		return "", err
	}
	var s string
	d := newDiag()
	defer d.free()
	err = check(capi.Np_cluster_endpoints(h, capi.Enum_SS_np_format(f), &s,
		d.d), &d)
	runtime.KeepAlive(c)
	return s, err
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

func compileOpts(src Source) capi.Np_compile_opts {
	o := capi.NewNp_compile_opts()
	o.SetSource(capi.Enum_SS_np_source(src))
	return o
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
	o, d, p := compileOpts(src), newDiag(), []uintptr{0}
	defer capi.DeleteNp_compile_opts(o)
	defer d.free()
	err = check(capi.Np_ruleset_compile(p, h, ns, name, o, d.d), &d)
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	rs := &RuleSet{rs: capi.SwigcptrNp_ruleset(p[0])}
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

func verdictOf(v capi.Np_verdict) Verdict {
	out := Verdict{
		Allowed:   v.GetAllowed(),
		Reason:    Reason(v.GetReason()),
		Direction: Direction(v.GetDirection()),
		Key:       v.GetKey(),
		Slot:      v.GetSlot(),
		Tier:      Tier(v.GetTier()),
	}
	if p := v.GetPolicies(); p != "" {
		out.Policies = strings.Split(p, ", ")
	}
	return out
}

// Verdict decides a connection from one endpoint to another, each
// "ns/pod" or an IP address outside the cluster.
func (c *Cluster) Verdict(from, to string, port uint16,
	proto Protocol) (Verdict, error) {
	h, err := c.handle()
	if err != nil {
		return Verdict{}, err
	}
	o, d, v := compileOpts(FromPolicies), newDiag(), capi.NewNp_verdict()
	defer capi.DeleteNp_compile_opts(o)
	defer d.free()
	defer capi.DeleteNp_verdict(v)
	err = check(capi.Np_cluster_verdict(h, from, to,
		capi.Enum_SS_np_protocol(proto), port, o, v, d.d), &d)
	runtime.KeepAlive(c)
	if err != nil {
		return Verdict{}, err
	}
	return verdictOf(v), nil
}

// AttribReason says why a rule did or did not match a connection's peer
// (enum np_attrib_reason).
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
		s := capi.Np_attrib_reason_name(capi.Enum_SS_np_attrib_reason(r))
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
	var src Source
	var dirs, maxPods uint
	if opts != nil {
		src = opts.Source
		for _, d := range opts.Directions {
			if d != Ingress && d != Egress {
				return nil, fmt.Errorf("netpol: direction %d", d)
			}
			dirs |= 1 << uint(d)
		}
		maxPods = opts.MaxPods
	}
	d := newDiag()
	defer d.free()
	var s string
	err = check(capi.Np_swig_cluster_attribute(h, from, to,
		capi.Enum_SS_np_protocol(proto), int(port),
		capi.Enum_SS_np_source(src), dirs, maxPods, &s, d.d), &d)
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	a := &Attribution{JSON: s}
	if err := json.Unmarshal([]byte(s), a); err != nil {
		return nil, fmt.Errorf("netpol: attribution: %w", err)
	}
	return a, nil
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
	d := newDiag()
	defer d.free()
	var s string
	err = check(capi.Np_swig_cluster_isolating(h, ns, name,
		capi.Enum_SS_np_direction(dir), capi.Enum_SS_np_source(src), &s,
		d.d), &d)
	runtime.KeepAlive(c)
	if err != nil || s == "" {
		return nil, err
	}
	return strings.Split(s, ", "), nil
}

// MatrixOptions selects the matrix's ports, protocols and family; the zero
// value means port 80, TCP, IPv4, from the NetworkPolicies.
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
	o := capi.NewNp_swig_matrix_opts()
	defer capi.DeleteNp_swig_matrix_opts(o)
	if opts != nil {
		if opts.Family != 0 {
			o.SetFamily(opts.Family)
		}
		o.SetSource(capi.Enum_SS_np_source(opts.Source))
		for _, p := range opts.Ports {
			err := check(capi.Np_swig_matrix_opts_add_port(o,
				int(p)), nil)
			if err != nil {
				return "", err
			}
		}
		for _, p := range opts.Protocols {
			err := check(capi.Np_swig_matrix_opts_add_protocol(o,
				int(p)), nil)
			if err != nil {
				return "", err
			}
		}
	}
	var s string
	d := newDiag()
	defer d.free()
	err = check(capi.Np_swig_cluster_matrix(h, o, capi.Enum_SS_np_format(f),
		&s, d.d), &d)
	runtime.KeepAlive(c)
	return s, err
}

// Matrix gives every pod with an address of the family against every
// other, for each protocol and port.
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
type RuleSet struct {
	rs capi.Np_ruleset
}

// Close frees the rule set. It is safe to call twice.
func (r *RuleSet) Close() error {
	if r == nil || r.rs == nil {
		return nil
	}
	capi.DeleteNp_ruleset(r.rs)
	r.rs = nil
	runtime.SetFinalizer(r, nil)
	return nil
}

func (r *RuleSet) handle() (capi.Np_ruleset, error) {
	if r == nil || r.rs == nil {
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
	v := capi.Np_ruleset_hash(h)
	runtime.KeepAlive(r)
	return v
}

// Export gives the rule set as YAML, JSON or text.
func (r *RuleSet) Export(f Format) (string, error) {
	h, err := r.handle()
	if err != nil {
		return "", err
	}
	var s string
	err = check(capi.Np_ruleset_export(h, capi.Enum_SS_np_format(f), &s),
		nil)
	runtime.KeepAlive(r)
	return s, err
}

// Verdict decides a flow of the rule set's pod: peer is the other end's
// address, port the destination port.
func (r *RuleSet) Verdict(dir Direction, peer string, port uint16,
	proto Protocol) (Verdict, error) {
	h, err := r.handle()
	if err != nil {
		return Verdict{}, err
	}
	v := capi.NewNp_verdict()
	defer capi.DeleteNp_verdict(v)
	err = check(capi.Np_ruleset_verdict(h, capi.Enum_SS_np_direction(dir),
		peer, capi.Enum_SS_np_protocol(proto), port, v), nil)
	runtime.KeepAlive(r)
	if err != nil {
		return Verdict{}, err
	}
	return verdictOf(v), nil
}

// MapSet encodes the rule set's eBPF map contents.
func (r *RuleSet) MapSet() (*MapSet, error) {
	h, err := r.handle()
	if err != nil {
		return nil, err
	}
	p := []uintptr{0}
	err = check(capi.Np_mapset_encode(p, h), nil)
	runtime.KeepAlive(r)
	if err != nil {
		return nil, err
	}
	m := &MapSet{ms: capi.SwigcptrNp_mapset(p[0])}
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
	ms capi.Np_mapset
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
	capi.DeleteNp_mapset(m.ms)
	m.ms = nil
	runtime.SetFinalizer(m, nil)
	return nil
}

func (m *MapSet) handle() (capi.Np_mapset, error) {
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
	n := capi.Np_mapset_count(h, family, capi.Enum_SS_np_direction(dir))
	runtime.KeepAlive(m)
	return int(n)
}

// unhex reads the helpers' "KEYHEX VALUEHEX" lines.
func unhex(s string) ([][][]byte, error) {
	var out [][][]byte
	for _, ln := range lines(s) {
		var row [][]byte
		for _, f := range strings.Fields(ln) {
			b, err := hex.DecodeString(f)
			if err != nil {
				return nil, fmt.Errorf("netpol: %w", err)
			}
			row = append(row, b)
		}
		out = append(out, row)
	}
	return out, nil
}

// LPMEntries gives the LPM-trie entries of a family and direction in a
// layout; id is the rule-set id (LayoutNetpol only).
func (m *MapSet) LPMEntries(family int, dir Direction, layout Layout,
	id uint32) ([]Entry, error) {
	h, err := m.handle()
	if err != nil {
		return nil, err
	}
	var s string
	err = check(capi.Np_swig_lpm(h, family, capi.Enum_SS_np_direction(dir),
		capi.Enum_SS_np_layout(layout), uint(id), &s), nil)
	runtime.KeepAlive(m)
	if err != nil {
		return nil, err
	}
	rows, err := unhex(s)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(rows))
	for _, r := range rows {
		if len(r) != 2 {
			return nil, fmt.Errorf("netpol: bad LPM entry")
		}
		out = append(out, Entry{Key: r[0], Value: r[1]})
	}
	return out, nil
}

// PortSets gives the distinct port sets, as the port map holds them.
func (m *MapSet) PortSets() ([][]byte, error) {
	h, err := m.handle()
	if err != nil {
		return nil, err
	}
	var s string
	err = check(capi.Np_swig_portsets(h, &s), nil)
	runtime.KeepAlive(m)
	if err != nil {
		return nil, err
	}
	rows, err := unhex(s)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(rows))
	for _, r := range rows {
		out = append(out, r[0])
	}
	return out, nil
}

// Export gives the contents as text (like the EKS dump-maps) or JSON.
func (m *MapSet) Export(f Format) (string, error) {
	h, err := m.handle()
	if err != nil {
		return "", err
	}
	var s string
	err = check(capi.Np_mapset_export(h, capi.Enum_SS_np_format(f), &s),
		nil)
	runtime.KeepAlive(m)
	return s, err
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
	st := capi.NewNp_mapset_diff_stats()
	defer capi.DeleteNp_mapset_diff_stats(st)
	var s string
	err = check(capi.Np_mapset_diff(h, t, st, &s), nil)
	runtime.KeepAlive(m)
	runtime.KeepAlive(to)
	if err != nil {
		return DiffStats{}, nil, err
	}
	return DiffStats{Added: int(st.GetAdded()),
		Changed: int(st.GetChanged()),
		Removed: int(st.GetRemoved())}, lines(s), nil
}

func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "\n")
}
