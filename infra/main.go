// Command infra is the Pulumi program that provisions the ci-agent platform.
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

var (
	_ = aws.NewProvider
	_ = eks.NewCluster
	_ = kubernetes.NewProvider
	_ = random.NewRandomPassword
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error { return nil })
}
