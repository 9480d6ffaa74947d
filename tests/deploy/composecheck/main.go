// Command composecheck loads Compose files the way Docker Compose does, with
// compose-go (the Compose Specification's reference library): schema validation,
// interpolation from the process environment, normalisation and the consistency checks
// (services, networks, volumes, configs and secrets that are referred to must exist).
// It prints the resolved project as JSON, or the loader's error and exits 1.
//
// Usage: composecheck [-workdir DIR] FILE...
// Only the process environment is used for interpolation (no .env file is read), so the
// caller decides exactly which variables are set.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	workdir := flag.String("workdir", "", "project directory (default: the first file's)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: composecheck [-workdir DIR] FILE...")
		os.Exit(2)
	}
	options, err := cli.NewProjectOptions(flag.Args(),
		cli.WithWorkingDirectory(*workdir),
		cli.WithOsEnv,
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := json.MarshalIndent(project, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}
