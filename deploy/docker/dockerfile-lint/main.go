// dockerfile-lint: parses a Dockerfile with BuildKit's own parser (the one `docker build` uses) and
// runs the lint rules BuildKit applies while parsing instructions (casing, deprecated MAINTAINER,
// stage names, empty continuations, ...). Exit 1 on a parse error or any finding. Used by
// test/deploy/dockerfile.test.ts, since no Docker engine (and no hadolint) runs in CI.
package main

import (
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: dockerfile-lint <Dockerfile>")
		os.Exit(2)
	}
	file := os.Args[1]
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		fmt.Printf("%s: parse error: %v\n", file, err)
		os.Exit(1)
	}
	problems := 0
	for _, w := range res.Warnings {
		problems++
		fmt.Printf("%s:%d: %s\n", file, w.Location.Start.Line, w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		problems++
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		fmt.Printf("%s:%d: %s: %s\n", file, line, rule, msg)
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		fmt.Printf("%s: %v\n", file, err)
		os.Exit(1)
	}
	if problems > 0 {
		os.Exit(1)
	}
	fmt.Printf("%s: %d stages, no findings\n", file, len(stages))
}
