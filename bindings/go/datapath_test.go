// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
package netpol_test

// The datapath from Go, as root, in a private network namespace: the test
// goroutine locks its OS thread and unshares CLONE_NEWNET, never unlocking,
// so the thread, its namespace, the veth pair and the tc filters on it
// all vanish when the test ends, however it ends. The pin root is
// /sys/fs/bpf/netpol-gotest-<pid>, destroyed at the end. The test skips
// when namespaces or bpf() are refused; in a build without the datapath,
// calls must fail with ENOTSUP.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"libnetpol.dev/netpol"
)

const (
	bpffs     = "/sys/fs/bpf"
	pinPrefix = "netpol-gotest-"
	hostIf    = "npg-host"
	podIf     = "npg-pod"
	podIP     = "198.18.0.2"
	peerIP    = "198.18.0.1"
	nodeIP    = "198.18.255.253"
)

var dpManifest = `
apiVersion: v1
kind: Namespace
metadata: {name: x}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
spec: {containers: [{name: c}]}
status: {phase: Running, hostIP: ` + nodeIP + `, podIP: ` + podIP + `,
         podIPs: [{ip: ` + podIP + `}]}
---
# Deny all but one: ingress TCP 80 from anywhere, egress to 198.18.1.0/24.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-80, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  policyTypes: [Ingress, Egress]
  ingress:
  - ports: [{protocol: TCP, port: 80}]
  egress:
  - to: [{ipBlock: {cidr: 198.18.1.0/24}}]
`

func pinRoot() string {
	return filepath.Join(bpffs, pinPrefix+strconv.Itoa(os.Getpid()))
}

// cleanupStalePins removes the pin roots of test processes that died.
func cleanupStalePins() {
	ents, _ := os.ReadDir(bpffs)
	for _, e := range ents {
		pid := strings.TrimPrefix(e.Name(), pinPrefix)
		if pid == e.Name() {
			continue
		}
		if _, err := strconv.Atoi(pid); err != nil {
			continue
		}
		if _, err := os.Stat("/proc/" + pid); os.IsNotExist(err) {
			os.RemoveAll(filepath.Join(bpffs, e.Name()))
		}
	}
}

func csum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// frame4 builds Ethernet + IPv4 + TCP SYN or UDP.
func frame4(src, dst string, proto uint8, sport, dport uint16) []byte {
	var l4 []byte
	if proto == syscall.IPPROTO_TCP {
		l4 = make([]byte, 20)
		binary.BigEndian.PutUint32(l4[4:], 1)
		l4[12] = 5 << 4
		l4[13] = 0x02
		binary.BigEndian.PutUint16(l4[14:], 65535)
	} else {
		l4 = make([]byte, 8)
		binary.BigEndian.PutUint16(l4[4:], 8)
	}
	binary.BigEndian.PutUint16(l4[0:], sport)
	binary.BigEndian.PutUint16(l4[2:], dport)
	ip := make([]byte, 20)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
	binary.BigEndian.PutUint16(ip[4:], 1)
	binary.BigEndian.PutUint16(ip[6:], 0x4000)
	ip[8] = 64
	ip[9] = proto
	copy(ip[12:], net.ParseIP(src).To4())
	copy(ip[16:], net.ParseIP(dst).To4())
	binary.BigEndian.PutUint16(ip[10:], csum(ip))
	eth := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0}
	return append(append(eth, ip...), l4...)
}

func tcpIn(src string, sport, dport uint16) []byte {
	return frame4(src, podIP, syscall.IPPROTO_TCP, sport, dport)
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err,
			out)
	}
	return nil
}

// privateNetns moves the test's goroutine, locked to its thread for good,
// into a new network namespace with a veth pair hostIf <-> podIf.
func privateNetns(t *testing.T) {
	t.Helper()
	runtime.LockOSThread() // never unlocked: the thread dies at the end
	_, _, e := syscall.RawSyscall(syscall.SYS_UNSHARE,
		syscall.CLONE_NEWNET, 0, 0)
	if e != 0 {
		t.Skipf("unshare(CLONE_NEWNET): %v", e)
	}
	for _, args := range [][]string{{"link", "set", "lo", "up"},
		{"link", "add", hostIf, "type", "veth", "peer", "name", podIf},
		{"link", "set", hostIf, "up"}, {"link", "set", podIf, "up"}} {
		if err := ipCmd(args...); err != nil {
			t.Skip(err)
		}
	}
}

func openOrSkip(t *testing.T, opts netpol.DatapathOptions) *netpol.Datapath {
	t.Helper()
	dp, err := netpol.OpenDatapath(opts)
	switch {
	case errors.Is(err, syscall.ENOTSUP):
		t.Skip("built without the datapath")
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		t.Skipf("bpf() refused: %v", err)
	case err != nil:
		t.Fatal(err)
	}
	return dp
}

func wantErrno(t *testing.T, what string, err error, errno syscall.Errno) {
	t.Helper()
	if !errors.Is(err, errno) {
		t.Fatalf("%s: %v, want %v", what, err, errno)
	}
	var de *netpol.DiagError
	if !errors.As(err, &de) {
		t.Fatalf("%s: %T is no *DiagError", what, err)
	}
}

// No call crashes on a NULL handle: EINVAL, or ENOTSUP without the
// datapath; a closed Datapath gives ErrClosed.
func TestDatapathNoHandle(t *testing.T) {
	for i, rc := range netpol.NullDatapathCalls() {
		if rc != -int(syscall.EINVAL) && rc != -int(syscall.ENOTSUP) {
			t.Errorf("call %d on NULL: %d", i, rc)
		}
	}
	var dp netpol.Datapath
	if err := dp.GC(); err != netpol.ErrClosed {
		t.Fatalf("GC on a zero Datapath: %v", err)
	}
	if err := dp.SetRuleCounters(true); err != netpol.ErrClosed {
		t.Fatalf("SetRuleCounters after Close: %v", err)
	}
	if _, err := dp.Pods(); err != netpol.ErrClosed {
		t.Fatalf("Pods on a zero Datapath: %v", err)
	}
	if _, err := dp.Hooks(1); err != netpol.ErrClosed {
		t.Fatalf("Hooks on a zero Datapath: %v", err)
	}
	if _, err := dp.Latency(); err != netpol.ErrClosed {
		t.Fatalf("Latency on a zero Datapath: %v", err)
	}
	evc, errc := dp.EventsChan(context.Background())
	if err := <-errc; err != netpol.ErrClosed {
		t.Fatalf("EventsChan on a zero Datapath: %v", err)
	}
	if _, open := <-evc; open {
		t.Fatal("EventsChan on a zero Datapath: channel open")
	}
	if err := dp.Close(); err != nil {
		t.Fatal(err)
	}
	if got := netpol.ReasonPort.String(); got != "port" {
		t.Fatalf("ReasonPort = %q", got)
	}
	if got := netpol.Reason(999).String(); got != "Reason(999)" {
		t.Fatalf("Reason(999) = %q", got)
	}
	_, err := netpol.OpenDatapath(netpol.DatapathOptions{
		NodeIPs: []string{"198.18.0.1,198.18.0.2"}})
	wantErrno(t, "comma in a node IP", err, syscall.EINVAL)
}

// Without the datapath, opening fails with ENOTSUP.
func TestDatapathUnsupported(t *testing.T) {
	cleanupStalePins()
	dp, err := netpol.OpenDatapath(netpol.DatapathOptions{
		PinRoot: pinRoot()})
	if err == nil {
		dp.Destroy()
		t.Skip("the datapath is built in")
	}
	if !errors.Is(err, syscall.ENOTSUP) {
		t.Skipf("datapath refused: %v", err)
	}
	wantErrno(t, "OpenDatapath", err, syscall.ENOTSUP)
	if _, err := os.Stat(pinRoot()); err == nil {
		t.Fatal("a pin root without a datapath")
	}
}

// kernelHasTCX: TCX came with Linux 6.6.
func kernelHasTCX() bool {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return false
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	var major, minor int
	if _, err := fmt.Sscanf(string(b), "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 6 || (major == 6 && minor >= 6)
}

// AttachHook chooses how the programs own the veth's hooks, and Hooks
// reports it.
func TestDatapathHooks(t *testing.T) {
	cleanupStalePins()
	root := pinRoot()
	os.RemoveAll(root)
	watchdog := time.AfterFunc(90*time.Second, func() {
		os.RemoveAll(root)
		panic("TestDatapathHooks still running after 90s")
	})
	defer watchdog.Stop()
	defer func() {
		_, err := os.Stat(root)
		os.RemoveAll(root)
		if err == nil {
			t.Error("the pin root was left behind")
		}
	}()

	privateNetns(t)
	dp := openOrSkip(t, netpol.DatapathOptions{PinRoot: root})
	defer dp.Destroy() // on failure; ErrClosed after the one below

	hooks := func(ifx int) [2]netpol.Hook {
		t.Helper()
		h, err := dp.Hooks(ifx)
		if err != nil {
			t.Fatalf("Hooks(%d): %v", ifx, err)
		}
		return h
	}
	check := func(h [2]netpol.Hook, kind netpol.HookKind) {
		t.Helper()
		for dir, x := range h {
			if x.State != netpol.HookOK || x.Kind != kind ||
				x.ProgID == 0 || x.ProgID != x.ExpectedID ||
				x.Filters < 1 || x.Ahead != 0 || x.AheadKind != "" ||
				x.AheadProgID != 0 || x.AheadPrio != 0 ||
				x.AheadHandle != 0 {
				t.Fatalf("%v hook %+v, want ok %s",
					netpol.Direction(dir), x, kind)
			}
		}
		if h[netpol.Ingress].ProgID == h[netpol.Egress].ProgID {
			t.Fatalf("one program both ways: %+v", h)
		}
	}
	auto := netpol.HookTC
	if kernelHasTCX() {
		auto = netpol.HookTCX
	}

	// the library's choice: TCX where the kernel has it
	ifx, err := dp.Attach(hostIf, 0, "x", "b")
	if err != nil {
		t.Fatal(err)
	}
	check(hooks(ifx), auto)
	// moved to a tc filter, and back, keeping the pod
	if i, err := dp.AttachHook(hostIf, 0, "x", "b",
		netpol.HookTC); err != nil || i != ifx {
		t.Fatalf("AttachHook(tc) = %d, %v", i, err)
	}
	check(hooks(ifx), netpol.HookTC)
	_, err = dp.AttachHook("", ifx, "x", "b", netpol.HookTCX)
	if kernelHasTCX() {
		if err != nil {
			t.Fatal(err)
		}
		check(hooks(ifx), netpol.HookTCX)
	} else {
		wantErrno(t, "AttachHook(tcx)", err, syscall.EOPNOTSUPP)
	}
	if pods, err := dp.Pods(); err != nil || len(pods) != 1 ||
		pods[0].Name != "b" {
		t.Fatalf("Pods() = %+v, %v", pods, err)
	}

	// only auto, tcx and tc
	for _, bad := range []netpol.HookKind{"xdp", "", netpol.HookNone,
		"TCX"} {
		_, err := dp.AttachHook(hostIf, 0, "", "", bad)
		wantErrno(t, fmt.Sprintf("AttachHook(%q)", bad), err,
			syscall.EINVAL)
		if !strings.Contains(err.Error(), "auto, tc, tcx") {
			t.Fatalf("AttachHook(%q): %v", bad, err)
		}
	}

	// an interface not attached: nothing of ours on it
	podIfx, err := net.InterfaceByName(podIf)
	if err != nil {
		t.Fatal(err)
	}
	for dir, x := range hooks(podIfx.Index) {
		if x.State != netpol.HookMissing || x.Kind != netpol.HookNone ||
			x.ProgID != 0 || x.ExpectedID == 0 {
			t.Fatalf("%v hook of %s: %+v", netpol.Direction(dir),
				podIf, x)
		}
	}
	_, err = dp.Hooks(0)
	wantErrno(t, "Hooks(0)", err, syscall.EINVAL)

	// detached: missing too
	if err := dp.Detach(ifx); err != nil {
		t.Fatal(err)
	}
	for _, x := range hooks(ifx) {
		if x.State != netpol.HookMissing || x.Kind != netpol.HookNone {
			t.Fatalf("after Detach: %+v", x)
		}
	}
	if err := dp.Destroy(); err != nil {
		t.Fatal(err)
	}
}

func TestDatapathEnforces(t *testing.T) {
	cleanupStalePins()
	root := pinRoot()
	os.RemoveAll(root)
	watchdog := time.AfterFunc(90*time.Second, func() {
		os.RemoveAll(root)
		panic("TestDatapathEnforces still running after 90s")
	})
	defer watchdog.Stop()
	defer func() {
		_, err := os.Stat(root)
		os.RemoveAll(root)
		if err == nil {
			t.Error("the pin root was left behind")
		}
	}()

	c := load(t)
	if err := c.Apply(dpManifest); err != nil {
		t.Fatal(err)
	}
	rs, err := c.Compile("x", "b")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()

	privateNetns(t)
	var logs []string
	dp := openOrSkip(t, netpol.DatapathOptions{PinRoot: root,
		Events: true, NodeIPs: []string{nodeIP},
		Log: func(l netpol.LogLevel, m string) {
			logs = append(logs, l.String()+": "+m)
		}})
	defer func() { // on failure: destroy what is left
		dp.Close()
		if _, err := os.Stat(root); err != nil {
			return
		}
		d, err := netpol.OpenDatapath(netpol.DatapathOptions{
			PinRoot: root})
		if err == nil {
			d.Destroy()
		}
	}()

	// loading the programs: libbpf's messages reach the handler
	libbpf := 0
	for _, l := range logs {
		if strings.Contains(l, ": libbpf: ") {
			libbpf++
		}
	}
	if libbpf == 0 {
		t.Fatalf("no libbpf line logged at load: %q", logs)
	}
	ifx, err := dp.Attach(hostIf, 0, "x", "b")
	if err != nil {
		t.Fatal(err)
	}
	if i, err := net.InterfaceByName(hostIf); err != nil || i.Index != ifx {
		t.Fatalf("Attach gave ifindex %d: %v %v", ifx, i, err)
	}
	pods, err := dp.Pods()
	if err != nil {
		t.Fatal(err)
	}
	want := []netpol.DatapathPod{{Ifindex: ifx, Ifname: hostIf,
		Namespace: "x", Name: "b", State: [2]netpol.PodState{
			netpol.PodDefaultAllow, netpol.PodDefaultAllow}}}
	if !reflect.DeepEqual(pods, want) {
		t.Fatalf("Pods() = %+v", pods)
	}

	verdict := func(dir netpol.Direction, frame []byte, want int) {
		t.Helper()
		v, err := dp.TestPacket(ifx, dir, frame)
		if err != nil || v != want {
			t.Fatalf("TestPacket = %d, %v; want %d", v, err, want)
		}
	}
	verdict(netpol.Ingress, tcpIn(peerIP, 40000, 81), netpol.VerdictOK)
	if err := dp.Apply(ifx, rs); err != nil {
		t.Fatal(err)
	}
	pods, err = dp.Pods()
	if err != nil || len(pods) != 1 ||
		pods[0].State != [2]netpol.PodState{netpol.PodEnforced,
			netpol.PodEnforced} || pods[0].RuleSet[netpol.Ingress] == 0 ||
		!pods[0].IP4.Equal(net.ParseIP(podIP)) || pods[0].IP6 != nil {
		t.Fatalf("Pods() after Apply = %+v, %v", pods, err)
	}
	if evs, err := dp.Events(100*time.Millisecond, 0); err != nil ||
		len(evs) == 0 {
		t.Fatalf("the first, allowed flow: %v %v", evs, err)
	}

	before, err := dp.Counters(ifx, netpol.Ingress)
	if err != nil {
		t.Fatal(err)
	}
	verdict(netpol.Ingress, tcpIn(peerIP, 40001, 80), netpol.VerdictOK)
	verdict(netpol.Ingress, tcpIn(peerIP, 40002, 81), netpol.VerdictShot)
	verdict(netpol.Ingress, tcpIn(peerIP, 40003, 81), netpol.VerdictShot)
	after, err := dp.Counters(ifx, netpol.Ingress)
	if err != nil || after.AllowedPackets != before.AllowedPackets+1 ||
		after.DeniedPackets != before.DeniedPackets+2 ||
		after.DeniedBytes <= before.DeniedBytes {
		t.Fatalf("Counters %+v -> %+v, %v", before, after, err)
	}
	verdict(netpol.Egress, frame4(podIP, "198.18.1.7", syscall.IPPROTO_UDP,
		5000, 53), netpol.VerdictOK)
	verdict(netpol.Egress, frame4(podIP, "198.19.0.1", syscall.IPPROTO_TCP,
		40004, 443), netpol.VerdictShot)
	if eg, err := dp.Counters(ifx, netpol.Egress); err != nil ||
		eg.AllowedPackets != 1 || eg.DeniedPackets != 1 {
		t.Fatalf("egress Counters %+v, %v", eg, err)
	}
	verdict(netpol.Ingress, tcpIn(nodeIP, 40005, 81), netpol.VerdictOK)

	evs, err := dp.Events(200*time.Millisecond, 0)
	if err != nil {
		t.Fatal(err)
	}
	var drops []netpol.Event
	reasons := map[netpol.Reason]bool{}
	for _, e := range evs {
		reasons[e.Reason] = true
		if !e.Allowed {
			drops = append(drops, e)
		}
	}
	if len(drops) != 3 || drops[0].Reason != netpol.ReasonPort ||
		drops[1].Reason != netpol.ReasonPort ||
		drops[2].Reason != netpol.ReasonNoMatch ||
		drops[2].Direction != netpol.Egress || drops[2].DstPort != 443 {
		t.Fatalf("drops %+v", drops)
	}
	d := drops[0]
	if !d.Src.Equal(net.ParseIP(peerIP)) || !d.Dst.Equal(net.ParseIP(podIP)) ||
		d.SrcPort != 40002 || d.DstPort != 81 ||
		d.Protocol != syscall.IPPROTO_TCP ||
		d.Direction != netpol.Ingress || d.Namespace != "x" ||
		d.Pod != "b" || d.Ifindex != ifx || d.Family != 4 ||
		d.RuleSet != pods[0].RuleSet[netpol.Ingress] ||
		d.RuleCIDR != "0.0.0.0/0" ||
		d.Time.Before(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("drop %+v", d)
	}
	if drops[2].PrefixLen != -1 || drops[2].RuleCIDR != "" {
		t.Fatalf("no-match drop %+v", drops[2])
	}
	if !reasons[netpol.ReasonRule] || !reasons[netpol.ReasonNode] {
		t.Fatalf("allowed events %+v", evs)
	}

	// at most max, the rest stays queued
	for _, port := range []uint16{81, 82, 83} {
		verdict(netpol.Ingress, tcpIn(peerIP, 41000, port),
			netpol.VerdictShot)
	}
	ports := func(evs []netpol.Event, err error) []uint16 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var p []uint16
		for _, e := range evs {
			p = append(p, e.DstPort)
		}
		return p
	}
	if p := ports(dp.Events(200*time.Millisecond, 2)); !reflect.DeepEqual(
		p, []uint16{81, 82}) {
		t.Fatalf("Events(max 2): %v", p)
	}
	if p := ports(dp.PollEvents(200*time.Millisecond, 0)); !reflect.DeepEqual(
		p, []uint16{83}) {
		t.Fatalf("PollEvents: %v", p)
	}

	// the same as a channel, until the context is cancelled
	ctx, cancel := context.WithCancel(context.Background())
	evc, errc := dp.EventsChan(ctx)
	for _, port := range []uint16{84, 85} {
		verdict(netpol.Ingress, tcpIn(peerIP, 41001, port),
			netpol.VerdictShot)
	}
	var got []uint16
	for len(got) < 2 {
		select {
		case ev := <-evc:
			if ev.Allowed || ev.Reason != netpol.ReasonPort {
				t.Fatalf("EventsChan: %+v", ev)
			}
			got = append(got, ev.DstPort)
		case <-time.After(5 * time.Second):
			t.Fatalf("EventsChan: %v after 5 s", got)
		}
	}
	if !reflect.DeepEqual(got, []uint16{84, 85}) {
		t.Fatalf("EventsChan: %v", got)
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("EventsChan ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("EventsChan: no end 5 s after cancel")
	}
	if _, open := <-evc; open {
		t.Fatal("EventsChan: events channel still open")
	}

	// the Apply above was timed
	lat, err := dp.Latency()
	if err != nil || lat.Count == 0 || len(lat.Bounds) == 0 ||
		len(lat.Counts) != len(lat.Bounds) || lat.Sum <= 0 ||
		lat.Counts[len(lat.Counts)-1] > lat.Count {
		t.Fatalf("Latency() = %+v, %v", lat, err)
	}
	for i := 1; i < len(lat.Bounds); i++ {
		if lat.Bounds[i] <= lat.Bounds[i-1] ||
			lat.Counts[i] < lat.Counts[i-1] {
			t.Fatalf("Latency() not ascending/cumulative: %+v", lat)
		}
	}

	// fail closed: new flows denied, the node still allowed; Apply undoes
	wantErrno(t, "FailClosed of no direction", dp.FailClosed(ifx),
		syscall.EINVAL)
	if err := dp.FailClosed(ifx, netpol.Ingress); err != nil {
		t.Fatal(err)
	}
	if pods, err := dp.Pods(); err != nil || len(pods) != 1 ||
		pods[0].State != [2]netpol.PodState{netpol.PodFailClosed,
			netpol.PodEnforced} {
		t.Fatalf("Pods() after FailClosed = %+v, %v", pods, err)
	}
	verdict(netpol.Ingress, tcpIn(peerIP, 42000, 80), netpol.VerdictShot)
	verdict(netpol.Ingress, tcpIn(nodeIP, 42001, 80), netpol.VerdictOK)
	if evs, err := dp.Events(200*time.Millisecond, 0); err != nil ||
		len(evs) == 0 || evs[0].Reason != netpol.ReasonUnenforceable ||
		evs[0].Reason.String() != "unenforceable" {
		t.Fatalf("fail-closed drop: %+v, %v", evs, err)
	}
	if err := dp.Apply(ifx, rs); err != nil {
		t.Fatal(err)
	}
	verdict(netpol.Ingress, tcpIn(peerIP, 42002, 80), netpol.VerdictOK)
	if _, err := dp.Events(200*time.Millisecond, 0); err != nil {
		t.Fatal(err)
	}

	if err := dp.SetEvents(false); err != nil {
		t.Fatal(err)
	}
	verdict(netpol.Ingress, tcpIn(peerIP, 40006, 81), netpol.VerdictShot)
	if p := ports(dp.PollEvents(50*time.Millisecond, 0)); len(p) != 0 {
		t.Fatalf("events while off: %v", p)
	}

	// per-rule-key counters, switched at run time
	if err := dp.SetRuleCounters(true); err != nil {
		t.Fatal(err)
	}
	if st, err := dp.Stats(); err != nil || !st.RuleCountersOn {
		t.Fatalf("Stats() with rule counters = %+v, %v", st, err)
	}
	if err := dp.SetRuleCounters(false); err != nil {
		t.Fatal(err)
	}
	if st, err := dp.Stats(); err != nil || st.RuleCountersOn {
		t.Fatalf("Stats() without rule counters = %+v, %v", st, err)
	}

	if err := dp.SetNodeIPs("198.18.255.252"); err != nil {
		t.Fatal(err)
	}
	verdict(netpol.Ingress, tcpIn(nodeIP, 40007, 81), netpol.VerdictShot)
	wantErrno(t, "SetNodeIPs(bad)", dp.SetNodeIPs("not-an-ip"),
		syscall.EINVAL)

	_, err = dp.Attach("npg-none", 0, "", "")
	wantErrno(t, "Attach(no such interface)", err, syscall.ENODEV)
	podIfx, err := net.InterfaceByName(podIf)
	if err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "Apply(not attached)", dp.Apply(podIfx.Index, rs),
		syscall.ENOENT)
	wantErrno(t, "TestPacket(ifindex 0)",
		func() error { _, err := dp.TestPacket(0, 0, nil); return err }(),
		syscall.EINVAL)
	// inspection of the live maps
	st, err := dp.Stats()
	if err != nil || st.Pods != 1 || st.EventsOn || st.RuleSets < 2 ||
		st.CTCapacity[0] == 0 {
		t.Fatalf("Stats() = %+v, %v", st, err)
	}
	ex, err := dp.Explain(ifx, netpol.Ingress, peerIP, netpol.TCP, 80, rs)
	if err != nil || !ex.Allowed || ex.Reason != netpol.ReasonRule ||
		ex.State != netpol.PodEnforced || !reflect.DeepEqual(ex.Policies,
		[]string{"x/only-80 ingress[0]"}) ||
		ex.Tier != netpol.TierNetworkPolicy {
		t.Fatalf("Explain(80) = %+v, %v", ex, err)
	}
	ex, err = dp.Explain(ifx, netpol.Ingress, peerIP, netpol.TCP, 81, nil)
	if err != nil || ex.Allowed || ex.Reason != netpol.ReasonPort ||
		ex.Tier != netpol.TierUnknown {
		t.Fatalf("Explain(81) = %+v, %v", ex, err)
	}
	if drift, err := dp.Verify(ifx, rs); err != nil || len(drift) != 0 {
		t.Fatalf("Verify = %v, %v", drift, err)
	}
	other := load(t)
	if err := other.Apply(strings.Replace(dpManifest, "port: 80",
		"port: 8080", 1)); err != nil {
		t.Fatal(err)
	}
	rs2, err := other.Compile("x", "b")
	if err != nil {
		t.Fatal(err)
	}
	defer rs2.Close()
	if drift, err := dp.Verify(ifx, rs2); err != nil || len(drift) == 0 {
		t.Fatalf("Verify(other) = %v, %v", drift, err)
	}
	if err := dp.GC(); err != nil {
		t.Fatal(err)
	}

	// closing keeps the pod enforced; a new handle sees it
	dp.Close()
	if err := dp.SetRuleCounters(true); err != netpol.ErrClosed {
		t.Fatalf("SetRuleCounters after Close: %v", err)
	}
	if _, err := dp.Pods(); err != netpol.ErrClosed {
		t.Fatalf("Pods after Close: %v", err)
	}
	dp2 := openOrSkip(t, netpol.DatapathOptions{PinRoot: root})
	defer dp2.Close()
	if pods, err := dp2.Pods(); err != nil || len(pods) != 1 ||
		pods[0].Name != "b" {
		t.Fatalf("Pods after reopening: %+v %v", pods, err)
	}
	verdict2, err := dp2.TestPacket(ifx, netpol.Ingress,
		tcpIn(peerIP, 40008, 81))
	if err != nil || verdict2 != netpol.VerdictShot {
		t.Fatalf("after reopening: %d %v", verdict2, err)
	}
	if err := dp2.Detach(ifx); err != nil {
		t.Fatal(err)
	}
	if pods, err := dp2.Pods(); err != nil || len(pods) != 0 {
		t.Fatalf("Pods after Detach: %+v %v", pods, err)
	}
	wantErrno(t, "Detach twice", dp2.Detach(ifx), syscall.ENOENT)
	if err := dp2.Destroy(); err != nil {
		t.Fatal(err)
	}
	if err := dp2.Destroy(); err != netpol.ErrClosed {
		t.Fatalf("Destroy twice: %v", err)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Fatalf("pin root after Destroy: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(bpffs, "netpol-*test*-"+
		strconv.Itoa(os.Getpid()))); len(m) != 0 {
		t.Fatalf("left behind: %v", m)
	}
}

// Begin, Commit and Abort change pods at once or not at all; AttachWith
// gives the pod's addresses; flows the new rules deny are revoked and
// packets from another address spoofed, as events say.
func TestDatapathTransactions(t *testing.T) {
	cleanupStalePins()
	root := pinRoot()
	os.RemoveAll(root)
	watchdog := time.AfterFunc(90*time.Second, func() {
		os.RemoveAll(root)
		panic("TestDatapathTransactions still running after 90s")
	})
	defer watchdog.Stop()
	defer func() {
		_, err := os.Stat(root)
		os.RemoveAll(root)
		if err == nil {
			t.Error("the pin root was left behind")
		}
	}()

	compile := func(manifest string) *netpol.RuleSet {
		t.Helper()
		c := load(t)
		if err := c.Apply(manifest); err != nil {
			t.Fatal(err)
		}
		rs, err := c.Compile("x", "b")
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	rs := compile(dpManifest)
	defer rs.Close()
	rs8080 := compile(strings.Replace(dpManifest, "port: 80", "port: 8080",
		1))
	defer rs8080.Close()

	privateNetns(t)
	dp := openOrSkip(t, netpol.DatapathOptions{PinRoot: root,
		Events: true})
	defer dp.Destroy() // on failure; ErrClosed after the one below

	// the pod's addresses: bad ones are refused, nothing attached
	for _, bad := range [][]string{{"not-an-ip"}, {"198.18.0.2,x"},
		{"198.18.0.2", "198.18.0.3"}, {""}} {
		_, err := dp.AttachWith(netpol.AttachOptions{Ifname: hostIf,
			IPs: bad})
		wantErrno(t, fmt.Sprintf("AttachWith(IPs %q)", bad), err,
			syscall.EINVAL)
	}
	_, err := dp.AttachWith(netpol.AttachOptions{Ifname: hostIf,
		IPs: []string{"not-an-ip"}})
	if !strings.Contains(err.Error(), "ips[0]") {
		t.Fatalf("AttachWith(not-an-ip): %v", err)
	}
	if pods, err := dp.Pods(); err != nil || len(pods) != 0 {
		t.Fatalf("Pods after refused attaches: %+v, %v", pods, err)
	}
	ifx, err := dp.AttachWith(netpol.AttachOptions{Ifname: hostIf,
		Namespace: "x", Name: "b", IPs: []string{podIP}})
	if err != nil {
		t.Fatal(err)
	}

	verdict := func(dir netpol.Direction, frame []byte, want int) {
		t.Helper()
		v, err := dp.TestPacket(ifx, dir, frame)
		if err != nil || v != want {
			t.Fatalf("TestPacket = %d, %v; want %d", v, err, want)
		}
	}
	egress := func(src string) []byte {
		return frame4(src, "198.18.1.7", syscall.IPPROTO_UDP, 5000, 53)
	}
	// tcpFlags: a TCP frame of frame4 with other flags than SYN
	tcpFlags := func(f []byte, flags byte) []byte {
		f[14+20+13] = flags
		return f
	}
	drops := func() []netpol.Reason {
		t.Helper()
		evs, err := dp.Events(200*time.Millisecond, 0)
		if err != nil {
			t.Fatal(err)
		}
		var r []netpol.Reason
		for _, e := range evs {
			if !e.Allowed {
				r = append(r, e.Reason)
			}
		}
		return r
	}
	state := func() (netpol.PodState, uint32) {
		t.Helper()
		pods, err := dp.Pods()
		if err != nil || len(pods) != 1 {
			t.Fatalf("Pods() = %+v, %v", pods, err)
		}
		return pods[0].State[netpol.Ingress],
			pods[0].RuleSet[netpol.Ingress]
	}

	verdict(netpol.Egress, egress(podIP), netpol.VerdictOK)
	verdict(netpol.Egress, egress("198.18.0.99"), netpol.VerdictShot)
	if r := drops(); !reflect.DeepEqual(r, []netpol.Reason{
		netpol.ReasonSpoofed}) || r[0].String() != "spoofed" {
		t.Fatalf("spoofed drop: %v", r)
	}

	// no transaction: Commit is EINVAL, Abort does nothing
	wantErrno(t, "Commit without Begin", dp.Commit(), syscall.EINVAL)
	dp.Abort()

	// Begin + Apply + Commit: staged, then in force
	if err := dp.Begin(false); err != nil {
		t.Fatal(err)
	}
	if err := dp.Apply(ifx, rs); err != nil {
		t.Fatal(err)
	}
	if st, id := state(); st != netpol.PodDefaultAllow || id != 0 {
		t.Fatalf("staged, yet live: %v %d", st, id)
	}
	verdict(netpol.Ingress, tcpIn(peerIP, 45000, 81), netpol.VerdictOK)
	if err := dp.Commit(); err != nil {
		t.Fatal(err)
	}
	st, id := state()
	if st != netpol.PodEnforced || id == 0 {
		t.Fatalf("after Commit: %v %d", st, id)
	}
	verdict(netpol.Ingress, tcpIn(peerIP, 45001, 81), netpol.VerdictShot)

	// Begin + Apply + Abort: the old rules stay
	if err := dp.Begin(true); err != nil {
		t.Fatal(err)
	}
	if err := dp.Apply(ifx, rs8080); err != nil {
		t.Fatal(err)
	}
	dp.Abort()
	if st2, id2 := state(); st2 != st || id2 != id {
		t.Fatalf("after Abort: %v %d, want %v %d", st2, id2, st, id)
	}
	verdict(netpol.Ingress, tcpIn(peerIP, 45002, 8080), netpol.VerdictShot)

	// Begin twice: EALREADY; another handle: EAGAIN with nowait
	dp2 := openOrSkip(t, netpol.DatapathOptions{PinRoot: root})
	defer dp2.Close()
	if err := dp.Begin(false); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "Begin twice", dp.Begin(false), syscall.EALREADY)
	wantErrno(t, "Begin(nowait) of another handle", dp2.Begin(true),
		syscall.EAGAIN)
	dp.Abort()
	if err := dp2.Begin(true); err != nil {
		t.Fatal(err)
	}
	dp2.Close() // aborts
	drops()

	// revoked: a tracked flow the new rules deny, reply included
	syn := tcpIn(peerIP, 46000, 80)
	ack := tcpFlags(tcpIn(peerIP, 46000, 80), 0x10)
	reply := tcpFlags(frame4(podIP, peerIP, syscall.IPPROTO_TCP, 80,
		46000), 0x12)
	verdict(netpol.Ingress, syn, netpol.VerdictOK)
	verdict(netpol.Egress, reply, netpol.VerdictOK)
	if err := dp.Apply(ifx, rs8080); err != nil {
		t.Fatal(err)
	}
	verdict(netpol.Ingress, ack, netpol.VerdictShot)
	verdict(netpol.Egress, reply, netpol.VerdictShot)
	if r := drops(); !reflect.DeepEqual(r, []netpol.Reason{
		netpol.ReasonRevoked, netpol.ReasonRevoked}) ||
		r[0].String() != "revoked" {
		t.Fatalf("revoked drops: %v", r)
	}

	// revoke and source checks off, node-wide, through another handle
	dp3 := openOrSkip(t, netpol.DatapathOptions{PinRoot: root,
		Revoke: netpol.SwitchOff, SourceCheck: netpol.SwitchOff})
	dp3.Close()
	syn = tcpIn(peerIP, 47000, 8080)
	ack = tcpFlags(tcpIn(peerIP, 47000, 8080), 0x10)
	verdict(netpol.Ingress, syn, netpol.VerdictOK)
	if err := dp.Apply(ifx, rs); err != nil {
		t.Fatal(err)
	}
	verdict(netpol.Ingress, ack, netpol.VerdictOK)
	verdict(netpol.Egress, egress("198.18.0.99"), netpol.VerdictOK)
	if r := drops(); len(r) != 0 {
		t.Fatalf("drops with the checks off: %v", r)
	}
	if netpol.SwitchOff.String() != "off" ||
		netpol.Switch(7).String() != "Switch(7)" {
		t.Fatal("Switch names")
	}
	_, err = netpol.OpenDatapath(netpol.DatapathOptions{PinRoot: root,
		Revoke: netpol.Switch(3)})
	wantErrno(t, "Revoke: Switch(3)", err, syscall.EINVAL)
	if err := dp.Destroy(); err != nil {
		t.Fatal(err)
	}
}
