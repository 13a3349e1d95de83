// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
package netpol_test

// Logs, per-object diagnostics, typed errors and []byte inputs.

import (
	"bytes"
	"errors"
	"io/fs"
	"log"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"libnetpol.dev/netpol"
)

const twoPolicies = `apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: good, namespace: prod}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: prod}
spec:
  podSelector: {}
  ingress:
  - ports: [{protocol: TCP, port: 80, endPort: 70}]
`

type logLine struct {
	level netpol.LogLevel
	msg   string
}

func TestLogFunc(t *testing.T) {
	var got []logLine
	c, err := netpol.NewClusterWith(netpol.ClusterOptions{
		Log: func(l netpol.LogLevel, m string) {
			got = append(got, logLine{l, m})
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.ApplyNamed("apiVersion: v1\nkind: ConfigMap\n"+
		"metadata: {name: cm, namespace: prod}\n", "cm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].level != netpol.LogInfo ||
		!strings.Contains(got[0].msg, "skipping ConfigMap prod/cm") ||
		!strings.HasPrefix(got[0].msg, "cm.yaml:") {
		t.Fatalf("log lines %+v", got)
	}
	if netpol.LogWarn.String() != "warn" ||
		netpol.LogLevel(9).String() != "LogLevel(9)" {
		t.Fatal("level names")
	}

	// a *log.Logger through LoggerFunc
	var buf bytes.Buffer
	c2, err := netpol.NewClusterWith(netpol.ClusterOptions{
		Log: netpol.LoggerFunc(log.New(&buf, "", 0))})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Apply("kind: ConfigMap\nmetadata: {name: x}\n"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "netpol: info: ") ||
		!strings.Contains(buf.String(), "skipping ConfigMap") {
		t.Fatalf("logger got %q", buf.String())
	}
	// a handler that panics loses its line, not the process
	calls := 0
	c4, err := netpol.NewClusterWith(netpol.ClusterOptions{
		Log: func(netpol.LogLevel, string) { calls++; panic("boom") }})
	if err != nil {
		t.Fatal(err)
	}
	defer c4.Close()
	if err := c4.Apply("kind: ConfigMap\nmetadata: {name: x}\n"); err != nil ||
		calls != 1 {
		t.Fatalf("panicking handler: %v, %d calls", err, calls)
	}
	// no handler: nothing breaks
	c3, _ := netpol.NewCluster()
	defer c3.Close()
	if err := c3.Apply("kind: ConfigMap\nmetadata: {name: x}\n"); err != nil {
		t.Fatal(err)
	}
}

func TestSkipInvalid(t *testing.T) {
	c, _ := netpol.NewCluster()
	defer c.Close()
	// all or nothing: the error and every problem, nothing applied
	diags, err := c.LoadBytes([]byte(twoPolicies), "two.yaml", nil)
	var ie *netpol.InvalidError
	if !errors.As(err, &ie) || len(diags) != 1 ||
		c.Count(netpol.KindNetworkPolicy) != 0 {
		t.Fatalf("all or nothing: %v %+v %d", err, diags,
			c.Count(netpol.KindNetworkPolicy))
	}
	// skip invalid: the good one applied, the bad one diagnosed
	diags, err = c.LoadBytes([]byte(twoPolicies), "two.yaml",
		&netpol.LoadOptions{SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	names, _ := c.Names(netpol.KindNetworkPolicy)
	if !reflect.DeepEqual(names, []string{"prod/good"}) {
		t.Fatalf("applied %v", names)
	}
	if len(diags) != 1 {
		t.Fatalf("diagnostics %+v", diags)
	}
	d := diags[0]
	if d.Errno != syscall.EINVAL || d.File != "two.yaml" || d.Line != 18 ||
		d.Column != 48 || d.Object != "NetworkPolicy prod/bad" ||
		d.Path != "spec.ingress[0].ports[0].endPort" ||
		!strings.HasPrefix(d.Message, "Invalid value: 70") ||
		d.String() != "two.yaml:18:48: NetworkPolicy prod/bad: "+
			"spec.ingress[0].ports[0].endPort: "+d.Message {
		t.Fatalf("diagnostic %+v %q", d, d.String())
	}
	if !errors.As(d.Err(), &ie) || ie.Object != d.Object {
		t.Fatalf("Err() = %v", d.Err())
	}
	// the same from a file, and JSON from bytes with a format
	f := t.TempDir() + "/two.yaml"
	if err := os.WriteFile(f, []byte(twoPolicies), 0o644); err != nil {
		t.Fatal(err)
	}
	diags, err = c.LoadFileWith(f, &netpol.LoadOptions{SkipInvalid: true})
	if err != nil || len(diags) != 1 || diags[0].File != f {
		t.Fatalf("LoadFileWith: %v %+v", err, diags)
	}
	diags, err = c.LoadBytes([]byte(`{"apiVersion": "v1", "kind": "Namespace",
		"metadata": {"name": "dev"}}`), "", &netpol.LoadOptions{
		Format: netpol.JSON})
	if err != nil || len(diags) != 0 || c.Count(netpol.KindNamespace) != 2 {
		t.Fatalf("JSON bytes: %v %+v", err, diags)
	}
	_, err = c.LoadBytes([]byte("a: b"), "", &netpol.LoadOptions{
		Format: netpol.Text})
	if !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Text format: %v", err)
	}
}

func TestApplyBytes(t *testing.T) {
	c, _ := netpol.NewCluster()
	defer c.Close()
	if err := c.ApplyBytes([]byte("apiVersion: v1\nkind: Namespace\n" +
		"metadata: {name: a}\n")); err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyBytes(nil); err != nil {
		t.Fatalf("empty input: %v", err)
	}
	if c.Count(netpol.KindNamespace) != 1 {
		t.Fatal("not applied")
	}
	err := c.ApplyBytes([]byte("kind: Pod\nmetadata: [\n"))
	var de *netpol.DiagError
	if !errors.As(err, &de) || de.File != "<bytes>" ||
		!strings.HasPrefix(de.Message, "syntax error") {
		t.Fatalf("syntax error: %#v", err)
	}
}

func TestTypedErrors(t *testing.T) {
	c, _ := netpol.NewCluster()
	defer c.Close()
	// a missing file
	err := c.LoadFile("/nonexistent/np.yaml")
	if !errors.Is(err, netpol.ErrNotFound) ||
		!errors.Is(err, fs.ErrNotExist) || !errors.Is(err, os.ErrNotExist) ||
		!errors.Is(err, syscall.ENOENT) || errors.Is(err, netpol.ErrInvalid) {
		t.Fatalf("missing file: %v", err)
	}
	if !errors.Is(netpol.ErrNotFound, fs.ErrNotExist) {
		t.Fatal("ErrNotFound is not fs.ErrNotExist")
	}
	// a missing object
	err = c.Delete(netpol.KindPod, "x", "nobody")
	var de *netpol.DiagError
	if !errors.Is(err, netpol.ErrNotFound) || !errors.As(err, &de) ||
		de.Object != "Pod x/nobody" ||
		!strings.HasPrefix(err.Error(), "Pod x/nobody: ") {
		t.Fatalf("Delete(nobody): %v", err)
	}
	err = c.Delete(netpol.KindNamespace, "ignored", "gone")
	if !errors.As(err, &de) || de.Object != "Namespace gone" {
		t.Fatalf("Delete(Namespace gone): %v", err)
	}
	_, err = c.Compile("x", "nobody")
	if !errors.Is(err, netpol.ErrNotFound) {
		t.Fatalf("Compile(nobody): %v", err)
	}
	// invalid input: object, path, reason
	err = c.ApplyNamed(twoPolicies, "two.yaml")
	var ie *netpol.InvalidError
	if !errors.As(err, &ie) || ie.Object != "NetworkPolicy prod/bad" ||
		ie.Path != "spec.ingress[0].ports[0].endPort" ||
		!strings.HasPrefix(ie.Reason, "Invalid value: 70") ||
		ie.Diag == nil || ie.Diag.Line != 18 ||
		!errors.Is(err, netpol.ErrInvalid) ||
		!errors.Is(err, syscall.EINVAL) ||
		!errors.Is(err, fs.ErrInvalid) ||
		errors.Is(err, netpol.ErrNotFound) {
		t.Fatalf("invalid: %#v", err)
	}
	if err.Error() != ie.Diag.Error() {
		t.Fatalf("Error() %q", err.Error())
	}
	// a bad kind is EINVAL without an object
	if err := c.Delete(netpol.Kind(99), "", "x"); !errors.Is(err,
		netpol.ErrInvalid) || errors.As(err, &ie) {
		t.Fatalf("Delete(Kind(99)): %#v", err)
	}
}
