package stacks

import (
	"errors"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type extra struct{}

var errPending = errors.New("phase not implemented yet")

func phase2Edge(*pulumi.Context, *Platform, pulumi.ResourceOption) error          { return errPending }
func phase3Observability(*pulumi.Context, *Platform, pulumi.ResourceOption) error { return errPending }
func phase4GitOps(*pulumi.Context, *Platform, pulumi.ResourceOption) error        { return errPending }
func phase8Scaling(*pulumi.Context, *Platform, pulumi.ResourceOption) error       { return errPending }
func phase10Cost(*pulumi.Context, *Platform, pulumi.ResourceOption) error         { return errPending }
