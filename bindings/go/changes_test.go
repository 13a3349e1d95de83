// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
package netpol_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"libnetpol.dev/netpol"
)

func podB(app string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: %s}}
status: {phase: Running, podIP: 10.0.0.2, podIPs: [{ip: 10.0.0.2}]}
`, app)
}

func changes(t *testing.T, c *netpol.Cluster,
	opts netpol.ChangesOptions) *netpol.ChangeSet {
	t.Helper()
	s, err := c.Changes(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func summary(s *netpol.ChangeSet) string {
	var out []string
	for _, ch := range s.Pods {
		out = append(out, ch.Kind.String()+" "+ch.Pod())
	}
	for _, e := range s.Endpoints {
		out = append(out, e.Kind.String()+" "+e.ObjectKind.String()+
			" "+e.Namespace+"/"+e.Name+" of "+e.Policy)
	}
	return strings.Join(out, ", ")
}

func TestChanges(t *testing.T) {
	c, err := netpol.NewClusterWith(netpol.ClusterOptions{CacheBytes: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.LoadFile(simple); err != nil {
		t.Fatal(err)
	}
	opts := netpol.ChangesOptions{Endpoints: true}

	// the first call: every pod, as added
	s := changes(t, c, opts)
	if len(s.Pods) != 1 || len(s.Endpoints) != 1 {
		t.Fatalf("first: %s", summary(s))
	}
	a := s.Pods[0]
	if a.Pod() != "x/a" || a.Kind != netpol.Added || a.OldHash != 0 ||
		a.Err != nil || !a.NewIsolated[netpol.Ingress] ||
		a.NewIsolated[netpol.Egress] || a.AddedEntries[0][0] != 1 ||
		a.AddedEntries.Total() != 1 {
		t.Fatalf("first: %+v", a)
	}
	rs, err := a.RuleSet()
	if err != nil || rs == nil || rs.Hash() != a.NewHash {
		t.Fatalf("RuleSet: %v %v", rs, err)
	}
	rs.Close() // borrowed: frees nothing
	if rs, _ := a.RuleSet(); rs.Hash() != a.NewHash {
		t.Fatal("RuleSet after a borrowed Close")
	}
	before, err := a.MapSet(true)
	if err != nil || before != nil {
		t.Fatalf("MapSet(before) of an added pod: %v %v", before, err)
	}
	now, err := a.MapSet(false)
	if err != nil || now.Count(4, netpol.Ingress) != 1 {
		t.Fatalf("MapSet(now): %v", err)
	}
	e := s.Endpoints[0]
	y, err := e.Export(netpol.YAML)
	if e.Kind != netpol.Added || e.Policy != "web" || err != nil ||
		!strings.Contains(y, "kind: PolicyEndpoint") {
		t.Fatalf("endpoint: %+v %v\n%s", e, err, y)
	}

	// nothing happened: nothing changed
	if s := changes(t, c, opts); len(s.Pods)+len(s.Endpoints) != 0 {
		t.Fatalf("idle: %s", summary(s))
	}

	// a pod no policy selects: only it, and the policy's endpoints
	// stay
	if err := c.Apply(podB("b")); err != nil {
		t.Fatal(err)
	}
	s = changes(t, c, opts)
	if got := summary(s); got != "added x/b" {
		t.Fatalf("add a pod: %s", got)
	}
	if d, err := s.Pods[0].Diff(); err != nil || len(d) != 0 {
		t.Fatalf("diff of an unisolated pod: %q %v", d, err)
	}

	// relabeled into the policy: b changes (isolated now), a does not
	if err := c.Apply(podB("a")); err != nil {
		t.Fatal(err)
	}
	s = changes(t, c, opts)
	if got := summary(s); got !=
		"changed x/b, changed PolicyEndpoint "+s.Endpoints[0].Namespace+
			"/"+s.Endpoints[0].Name+" of web" {
		t.Fatalf("relabel: %s", got)
	}
	b := s.Pods[0]
	d, err := b.Diff()
	if err != nil || !contains(d, "+ ingress 192.168.1.0/24") ||
		!contains(d, "isolated ingress true") || b.OldIsolated[0] ||
		!b.NewIsolated[0] || b.OldHash == b.NewHash {
		t.Fatalf("relabel: %+v %q %v", b, d, err)
	}

	// the policy deleted: both pods change, its endpoint goes
	if err := c.Delete(netpol.KindNetworkPolicy, "x", "web"); err != nil {
		t.Fatal(err)
	}
	c.Trim() // the caches go, the change tracker stays
	s = changes(t, c, opts)
	if len(s.Pods) != 2 || s.Pods[0].Pod() != "x/a" ||
		s.Pods[1].Pod() != "x/b" || len(s.Endpoints) != 1 ||
		s.Endpoints[0].Kind != netpol.Removed {
		t.Fatalf("delete the policy: %s", summary(s))
	}
	for _, p := range s.Pods {
		d, _ := p.Diff()
		if p.Kind != netpol.Changed || !p.OldIsolated[0] ||
			p.NewIsolated[0] || p.RemovedEntries[0][0] != 1 ||
			!contains(d, "- ingress 192.168.1.0/24") {
			t.Fatalf("delete the policy: %+v %q", p, d)
		}
	}
	if _, err := s.Endpoints[0].Export(netpol.YAML); !errors.Is(err,
		netpol.ErrNotFound) {
		t.Fatalf("export of a removed endpoint: %v", err)
	}

	// a pod deleted: removed, without a rule set
	if err := c.Delete(netpol.KindPod, "x", "b"); err != nil {
		t.Fatal(err)
	}
	s = changes(t, c, opts)
	if got := summary(s); got != "removed x/b" {
		t.Fatalf("delete a pod: %s", got)
	}
	if rs, err := s.Pods[0].RuleSet(); rs != nil || err != nil {
		t.Fatalf("rule set of a removed pod: %v %v", rs, err)
	}

	// closed: errors, not crashes
	first := changes(t, load(t, simple), netpol.ChangesOptions{})
	borrowed, err := first.Pods[0].RuleSet()
	if err != nil || borrowed.Hash() == 0 {
		t.Fatalf("RuleSet: %v", err)
	}
	first.Close()
	if borrowed.Hash() != 0 {
		t.Fatal("a borrowed RuleSet outlived its ChangeSet")
	}
	if _, err := borrowed.Export(netpol.YAML); !errors.Is(err,
		netpol.ErrClosed) {
		t.Fatalf("Export of a borrowed RuleSet after Close: %v", err)
	}
	s.Close()
	if _, err := s.Pods[0].Diff(); !errors.Is(err, netpol.ErrClosed) {
		t.Fatalf("Diff after Close: %v", err)
	}
	c.Close()
	if _, err := c.Changes(opts); !errors.Is(err, netpol.ErrClosed) {
		t.Fatalf("Changes after Close: %v", err)
	}
	c.Trim() // closed: nothing
}

func TestChangesClusterPolicyEndpoints(t *testing.T) {
	c := load(t, simple)
	defer c.Close()
	opts := netpol.ChangesOptions{Endpoints: true}
	s := changes(t, c, opts)
	if len(s.Endpoints) != 1 ||
		s.Endpoints[0].ObjectKind != netpol.KindPolicyEndpoint {
		t.Fatalf("first: %s", summary(s))
	}

	// added: cluster-scoped (Namespace ""), sorted first
	if err := c.LoadFile("../python/tests/data/cnp-wall.yaml"); err != nil {
		t.Fatal(err)
	}
	s = changes(t, c, opts)
	if len(s.Endpoints) != 1 {
		t.Fatalf("added: %s", summary(s))
	}
	e := s.Endpoints[0]
	if e.Kind != netpol.Added || e.ObjectKind !=
		netpol.KindClusterPolicyEndpoint || e.Namespace != "" ||
		e.Policy != "wall" || !strings.HasPrefix(e.Name, "wall-0-") ||
		e.NewHash == 0 {
		t.Fatalf("added: %+v", e)
	}
	if y, err := e.Export(netpol.YAML); err != nil ||
		!strings.Contains(y, "kind: ClusterPolicyEndpoint") {
		t.Fatalf("export: %v\n%s", err, y)
	}

	// x/b joins the subject: the ClusterPolicyEndpoint changes
	if err := c.Apply(podB("a")); err != nil {
		t.Fatal(err)
	}
	s = changes(t, c, opts)
	if len(s.Endpoints) != 2 ||
		s.Endpoints[0].ObjectKind != netpol.KindClusterPolicyEndpoint ||
		s.Endpoints[0].Kind != netpol.Changed ||
		s.Endpoints[0].OldHash != e.NewHash ||
		s.Endpoints[1].ObjectKind != netpol.KindPolicyEndpoint {
		t.Fatalf("relabel: %s", summary(s))
	}

	// deleted: removed
	if err := c.Delete(netpol.KindClusterNetworkPolicy, "",
		"wall"); err != nil {
		t.Fatal(err)
	}
	s = changes(t, c, opts)
	if got := summary(s); got != "removed ClusterPolicyEndpoint /"+
		e.Name+" of wall" {
		t.Fatalf("delete: %s", got)
	}
}

func TestChangeKindNames(t *testing.T) {
	for k, want := range map[netpol.ChangeKind]string{netpol.Added: "added",
		netpol.Changed: "changed", netpol.Removed: "removed",
		netpol.ChangeKind(9): "unknown"} {
		if k.String() != want {
			t.Errorf("%d: %q", int(k), k.String())
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
