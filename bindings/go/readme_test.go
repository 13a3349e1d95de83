// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
package netpol_test

import (
	"os"
	"strings"
	"testing"
)

// The Go snippet of README.md is the body of stars() in
// examples/go/stars/main.go, whose Example test checks its output.
func TestReadmeSnippetIsTheExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(string(readme), "```go\n", 2)
	if len(parts) != 2 {
		t.Fatal("no Go snippet in README.md")
	}
	snippet := strings.SplitN(parts[1], "```", 2)[0]
	main, err := os.ReadFile("../../examples/go/stars/main.go")
	if err != nil {
		t.Fatal(err)
	}
	body := "func stars(files []string) {\n" + snippet + "}\n"
	if !strings.Contains(string(main), body) ||
		!strings.Contains(snippet, "netpol.LoadCluster(") {
		t.Fatalf("README snippet differs from examples/go/stars:\n%s",
			snippet)
	}
}
