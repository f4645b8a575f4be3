// Command infra is the Pulumi program that provisions the ci-agent platform (Pulumi.yaml
// `main: infra/`). The program itself lives in package stacks so that the offline planner
// (cmd/plan) and the tests run exactly the code `pulumi up` runs.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/stacks"
)

func main() {
	pulumi.Run(stacks.Program)
}
