// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

package netpol

// #include <stdlib.h>
// #include "npgo.h"
import "C"

import (
	"runtime"
	"syscall"
	"unsafe"
)

// ChangeKind is what happened to a pod's rule set or to a PolicyEndpoint
// or ClusterPolicyEndpoint.
type ChangeKind int

// Change kinds (enum np_change_kind).
const (
	Added   ChangeKind = C.NP_CHANGE_ADDED   // not reported before
	Changed ChangeKind = C.NP_CHANGE_CHANGED // its content hash differs
	Removed ChangeKind = C.NP_CHANGE_REMOVED // gone
)

// String gives "added", "changed" or "removed".
func (k ChangeKind) String() string {
	switch k {
	case Added:
		return "added"
	case Changed:
		return "changed"
	case Removed:
		return "removed"
	}
	return "unknown"
}

// MarshalText gives the kind's name.
func (k ChangeKind) MarshalText() ([]byte, error) {
	return []byte(k.String()), nil
}

// ChangesOptions configures Cluster.Changes; the zero value reports the
// pods of the controller's view (FromPolicies) without PolicyEndpoints.
type ChangesOptions struct {
	// Source is the view the rule sets are compiled in. A call with
	// another view than the previous one compares every pod against
	// what was last reported.
	Source Source
	// Endpoints also reports the PolicyEndpoints and
	// ClusterPolicyEndpoints (what the NetworkPolicies and
	// ClusterNetworkPolicies resolve into) added, changed or removed
	// since the previous call that asked; FromPolicies only.
	Endpoints bool
}

// EntryCounts are LPM entries by [Direction][family: 0 IPv4, 1 IPv6].
type EntryCounts [2][2]uint32

// Total is the sum over directions and families.
func (e EntryCounts) Total() uint32 {
	return e[0][0] + e[0][1] + e[1][0] + e[1][1]
}

// Change is one pod whose rule set changed (struct np_change).
type Change struct {
	Namespace string
	Name      string
	Kind      ChangeKind
	// Err is nil, or why the pod's new rule set could not be compiled
	// (syscall.E2BIG: too many port ranges, syscall.ENOTSUP: a cluster
	// policy peer that cannot be enforced): NewHash is 0 and there is
	// no new rule set.
	Err     error
	OldHash uint64 // the rule set's hash reported before; 0: none
	NewHash uint64 // and now; 0: none (removed, Err)
	// The map diff from the old rule set to the new (none counting as
	// empty): LPM entries added, changed (same prefix, other ports) and
	// removed.
	AddedEntries   EntryCounts
	ChangedEntries EntryCounts
	RemovedEntries EntryCounts
	// Isolation per Direction, before and now (none: false).
	OldIsolated [2]bool
	NewIsolated [2]bool

	set *ChangeSet
	i   int
}

// Pod gives "namespace/name".
func (c *Change) Pod() string {
	return c.Namespace + "/" + c.Name
}

// EndpointChange is one PolicyEndpoint or ClusterPolicyEndpoint of a
// change set (ChangesOptions.Endpoints).
type EndpointChange struct {
	// Namespace is "" for a ClusterPolicyEndpoint (cluster-scoped).
	Namespace string
	Name      string
	// Policy is the NetworkPolicy it comes from (in Namespace), or the
	// ClusterNetworkPolicy (of either API group).
	Policy string
	Kind   ChangeKind
	// ObjectKind is KindPolicyEndpoint or KindClusterPolicyEndpoint.
	ObjectKind Kind
	OldHash    uint64 // content hash reported before; 0: none
	NewHash    uint64 // and now; 0: removed

	set *ChangeSet
	i   int
}

// ChangeSet is what changed since the previous Cluster.Changes call: the
// pods whose rule set changed and (when asked for) the PolicyEndpoints and
// ClusterPolicyEndpoints, each sorted by namespace and name (the
// ClusterPolicyEndpoints, namespace "", first). It owns C memory: Close frees it
// (a finalizer does too, but late), and the RuleSets it gave stay valid
// until then. Immutable: it may be read from several goroutines.
type ChangeSet struct {
	ch        *C.struct_np_changes
	Pods      []Change
	Endpoints []EndpointChange
}

// Changes reports the pods whose rule set changed since the previous call
// on this cluster (the first call: every pod, as Added), without
// recompiling the pods no load or delete could affect.
func (c *Cluster) Changes(opts ChangesOptions) (*ChangeSet, error) {
	h, err := c.handle()
	if err != nil {
		return nil, err
	}
	o := C.struct_np_changes_opts{source: C.enum_np_source(opts.Source),
		endpoints: cbool(opts.Endpoints)}
	o.sz = C.size_t(unsafe.Sizeof(o))
	var d C.struct_np_diag
	var p *C.struct_np_changes
	err = check(C.np_cluster_changes(h, &o, &p, &d), &d)
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	s := &ChangeSet{ch: p}
	runtime.SetFinalizer(s, (*ChangeSet).Close)
	n := int(C.np_changes_count(p))
	s.Pods = make([]Change, 0, n)
	for i := 0; i < n; i++ {
		var x C.struct_np_change
		if err := check(C.np_changes_get(p, C.size_t(i), &x),
			nil); err != nil {
			s.Close()
			return nil, err
		}
		g := Change{Namespace: gostrOrEmpty(x.ns),
			Name:    gostrOrEmpty(x.name),
			Kind:    ChangeKind(x.kind),
			OldHash: uint64(x.old_hash),
			NewHash: uint64(x.new_hash),
			set:     s, i: i}
		if x.err < 0 {
			g.Err = syscall.Errno(-x.err)
		}
		for dir := 0; dir < 2; dir++ {
			for fam := 0; fam < 2; fam++ {
				g.AddedEntries[dir][fam] =
					uint32(x.added[dir][fam])
				g.ChangedEntries[dir][fam] =
					uint32(x.changed[dir][fam])
				g.RemovedEntries[dir][fam] =
					uint32(x.removed[dir][fam])
			}
			g.OldIsolated[dir] = bool(x.old_isolated[dir])
			g.NewIsolated[dir] = bool(x.new_isolated[dir])
		}
		s.Pods = append(s.Pods, g)
	}
	n = int(C.np_changes_endpoints_count(p))
	s.Endpoints = make([]EndpointChange, 0, n)
	for i := 0; i < n; i++ {
		var x C.struct_np_endpoint_change
		if err := check(C.np_changes_endpoint(p, C.size_t(i), &x),
			nil); err != nil {
			s.Close()
			return nil, err
		}
		s.Endpoints = append(s.Endpoints, EndpointChange{
			Namespace:  gostrOrEmpty(x.ns),
			Name:       gostrOrEmpty(x.name),
			Policy:     gostrOrEmpty(x.policy),
			Kind:       ChangeKind(x.kind),
			ObjectKind: Kind(x.object_kind),
			OldHash:    uint64(x.old_hash),
			NewHash:    uint64(x.new_hash),
			set:        s, i: i})
	}
	return s, nil
}

// Close frees the change set. It is safe to call twice; RuleSets it gave
// must not be used afterwards.
func (s *ChangeSet) Close() error {
	if s == nil || s.ch == nil {
		return nil
	}
	C.np_changes_free(s.ch)
	s.ch = nil
	runtime.SetFinalizer(s, nil)
	return nil
}

func (s *ChangeSet) handle() (*C.struct_np_changes, error) {
	if s == nil || s.ch == nil {
		return nil, ErrClosed
	}
	return s.ch, nil
}

// RuleSet gives the pod's new rule set, nil for a removed pod or one
// whose rule set failed (Err). It belongs to the change set: valid until
// ChangeSet.Close, and its own Close does nothing.
func (c *Change) RuleSet() (*RuleSet, error) {
	h, err := c.set.handle()
	if err != nil {
		return nil, err
	}
	p := C.np_changes_ruleset(h, C.size_t(c.i))
	if p == nil {
		return nil, nil
	}
	return &RuleSet{rs: (*C.struct_np_ruleset)(p), owner: c.set}, nil
}

// Diff gives the pod's map diff, one entry a line as MapSet.Diff prints
// them ("+ ingress 198.18.0.0/16", "~ ...", "- ..."), and a line
// "isolated DIRECTION true|false" for each direction whose isolation
// changed; none when only the hash changed.
func (c *Change) Diff() ([]string, error) {
	h, err := c.set.handle()
	if err != nil {
		return nil, err
	}
	var out *C.char
	err = check(C.np_changes_diff(h, C.size_t(c.i), &out), nil)
	runtime.KeepAlive(c.set)
	return lines(takeString(out)), err
}

// MapSet gives the pod's map contents before (as last reported) or now;
// nil where the pod had or has no rule set.
func (c *Change) MapSet(before bool) (*MapSet, error) {
	h, err := c.set.handle()
	if err != nil {
		return nil, err
	}
	var p *C.struct_np_mapset
	err = check(C.np_changes_mapset(&p, h, C.size_t(c.i), cbool(before)),
		nil)
	runtime.KeepAlive(c.set)
	if err != nil || p == nil {
		return nil, err
	}
	m := &MapSet{ms: p}
	runtime.SetFinalizer(m, (*MapSet).Close)
	return m, nil
}

// Export gives the endpoint's new object as YAML or JSON, as
// Cluster.EndpointsText prints it; an error (ErrNotFound) when removed.
func (e *EndpointChange) Export(f Format) (string, error) {
	h, err := e.set.handle()
	if err != nil {
		return "", err
	}
	var out *C.char
	err = check(C.np_changes_endpoint_export(h, C.size_t(e.i),
		C.enum_np_format(f), &out), nil)
	runtime.KeepAlive(e.set)
	return takeString(out), err
}

// Trim drops the compiler's caches on the cluster and hands freed memory
// back to the system where it can; the next compile rebuilds what it
// needs, and Changes still reports against what it reported last.
func (c *Cluster) Trim() {
	h, err := c.handle()
	if err != nil {
		return
	}
	C.np_cluster_trim(h)
	runtime.KeepAlive(c)
}
