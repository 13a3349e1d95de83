// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// Command stars compiles the Stars demo of the EKS user guide and prints
// who may reach whom, as the management UI draws it; then, as a controller
// would, it applies the manifests one event at a time and prints only what
// each changed (Cluster.Changes): the PolicyEndpoints to write back and the
// pods whose rule sets changed, with their map diffs.
//
//	stars [DIR]    (default ../../stars, the demo's manifests)
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"libnetpol.dev/netpol"
)

func main() {
	dir := "../../stars"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		log.Fatalf("no manifests in %s", dir)
	}
	stars(files)
	watch(files)
}

// watch applies one manifest file an event and prints what it changed.
func watch(files []string) {
	cluster, err := netpol.NewCluster()
	if err != nil {
		log.Fatal(err)
	}
	defer cluster.Close()
	for _, f := range files {
		if err := cluster.LoadFile(f); err != nil {
			log.Fatal(err)
		}
		changes, err := cluster.Changes(netpol.ChangesOptions{
			Endpoints: true})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d PolicyEndpoints, %d rule sets changed\n",
			filepath.Base(f), len(changes.Endpoints),
			len(changes.Pods))
		for _, pe := range changes.Endpoints {
			fmt.Printf("PolicyEndpoint %s/%s %s (from %s)\n",
				pe.Namespace, pe.Name, pe.Kind, pe.Policy)
		}
		for _, ch := range changes.Pods {
			// ch.RuleSet() is what the pod's node programs
			fmt.Printf("RuleSet %s %s hash %016x\n", ch.Pod(),
				ch.Kind, ch.NewHash)
			diff, err := ch.Diff()
			if err != nil {
				log.Fatal(err)
			}
			for _, line := range diff {
				fmt.Printf("  %s\n", line)
			}
		}
		changes.Close()
	}
}

// stars is the snippet bindings/README.md shows, verbatim.
func stars(files []string) {
	cluster, err := netpol.LoadCluster(files...)
	if err != nil {
		log.Fatal(err) // file:line:col: object: path: message
	}
	defer cluster.Close()
	for _, c := range []struct {
		from, to string
		port     uint16
	}{
		{"client/client-xlffc", "stars/frontend-cscnf", 80},
		{"client/client-xlffc", "stars/backend-sz87q", 6379},
		{"stars/frontend-cscnf", "stars/backend-sz87q", 6379},
	} {
		v, err := cluster.Verdict(c.from, c.to, c.port, netpol.TCP)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s -> %s:%d allowed=%v (%s)\n", c.from, c.to, c.port,
			v.Allowed, v.Reason)
	}
	rules, err := cluster.Compile("stars", "backend-sz87q")
	if err != nil {
		log.Fatal(err)
	}
	defer rules.Close()
	entries, err := rules.LPMEntries(4, netpol.Ingress)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("backend: hash %016x, %d ingress LPM entries\n", rules.Hash(),
		len(entries))
}
