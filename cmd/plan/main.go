// Command plan prints an offline plan of a stack: it runs the real Pulumi program under
// Pulumi's mocks (no cloud account, no pulumi CLI) and reports the resources per phase, the
// policy findings and an estimated monthly cost. `make plan STACK=dev|prod FORMAT=text|json`.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/internal/plan"
	"github.com/ci-agent/ci-agent/stacks"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "plan:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("plan", flag.ContinueOnError)
	stack := flags.String("stack", "dev", "stack to plan (reads Pulumi.<stack>.yaml)")
	format := flags.String("format", "text", "output format: text or json")
	dir := flags.String("dir", ".", "directory holding the Pulumi.<stack>.yaml files (and .github/workflows, whose runners the plan checks)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("-format %q: want text or json", *format)
	}
	config, err := plan.LoadStackConfig(*dir, *stack)
	if err != nil {
		return err
	}
	// stacks.Program, keeping the config's warnings: the program logs them with ctx.Log.Warn,
	// which Pulumi's mocks drop, and a plan that passes silently over an unreachable endpoint
	// or alerts sent nowhere would hide what `pulumi preview` shows.
	var warnings []string
	var private plan.PrivateEndpoint
	program := func(ctx *pulumi.Context) error {
		cfg, err := stacks.LoadConfig(ctx)
		if err != nil {
			return err
		}
		warnings = cfg.Warnings()
		// A CIDR-restricted public endpoint is no more reachable from GitHub-hosted runners than
		// a private one: their egress is not in the list.
		unreachable := !cfg.HostedRunnersReachAPI()
		private = plan.PrivateEndpoint{Pulumi: unreachable && cfg.PulumiUsesClusterAPI(), Kubectl: unreachable,
			Restricted: !cfg.PrivateEndpoint()}
		return stacks.Deploy(ctx, cfg)
	}
	mocks, err := plan.Run(*stack, config, program)
	if err != nil {
		return err
	}
	// The workflows that would reach that private endpoint from GitHub's runners, outside the VPC.
	hosted, err := plan.HostedRunnerWarnings(filepath.Join(*dir, ".github", "workflows"), *stack, private)
	if err != nil {
		return err
	}
	warnings = append(warnings, hosted...)
	report := plan.NewReport(*stack, mocks.Resources(), warnings...)
	if *format == "json" {
		err = report.WriteJSON(stdout)
	} else {
		err = report.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if len(report.Findings) > 0 {
		return fmt.Errorf("%d policy findings", len(report.Findings))
	}
	return nil
}
