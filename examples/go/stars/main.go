// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// Command stars compiles the Stars demo of the EKS user guide and prints
// who may reach whom, as the management UI draws it.
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
