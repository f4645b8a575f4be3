package components

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ChaosMeshNamespace is where Chaos Mesh's controller and daemons run.
const ChaosMeshNamespace = "chaos-mesh"

// ChaosInjectAnnotation is the namespace annotation Chaos Mesh's namespace filter
// (controllerManager.enableFilterNamespace) looks for: only pods of a namespace annotated
// chaos-mesh.org/inject=enabled are selected by an experiment; every other namespace is out of
// reach whatever an experiment's selector says.
const ChaosInjectAnnotation = "chaos-mesh.org/inject"

// ChaosInjectAnnotations are the annotations of a namespace game days may inject faults into.
func ChaosInjectAnnotations() pulumi.StringMap {
	return pulumi.StringMap{ChaosInjectAnnotation: pulumi.String("enabled")}
}

// NewChaosMesh installs Chaos Mesh (the game days' PodChaos and NetworkChaos, deploy/chaos/)
// with values for EKS: containerd's socket, no dashboard (it is an unauthenticated UI unless
// tokens are set up, and the runbook uses kubectl), the namespace filter on, the chart's RBAC
// and mTLS between controller and daemons kept, pprof off, and requests sized for a small
// cluster. controllerReplicas is the controller-manager's replica count: one leader, the others
// standing by, so that an experiment can still be recovered when a node goes. Pass the
// Kubernetes provider in opts.
func NewChaosMesh(ctx *pulumi.Context, name string, controllerReplicas int, opts ...pulumi.ResourceOption) error {
	if controllerReplicas < 1 {
		return fmt.Errorf("chaos-mesh %s: controllerReplicas = %d; want at least 1", name, controllerReplicas)
	}
	_, err := release(ctx, name, ChartChaosMesh, ChaosMeshNamespace, pulumi.Map{
		// Cluster-scoped, with the chart's ClusterRoles, and restricted by the namespace filter
		// below rather than by the namespace-scoped mode (one namespace, set at install).
		"clusterScoped":   pulumi.Bool(true),
		"rbac":            pulumi.Map{"create": pulumi.Bool(true)},
		"enableProfiling": pulumi.Bool(false), // pprof on the daemons' and controller's ports
		"controllerManager": pulumi.Map{
			"replicaCount":            pulumi.Int(controllerReplicas),
			"enableFilterNamespace":   pulumi.Bool(true),
			"allowHostNetworkTesting": pulumi.Bool(false),
			"resources": pulumi.Map{
				"requests": pulumi.Map{"cpu": pulumi.String("25m"), "memory": pulumi.String("256Mi")},
				"limits":   pulumi.Map{"memory": pulumi.String("1Gi")},
			},
			// Replicas on different nodes where they fit.
			"affinity": pulumi.Map{"podAntiAffinity": pulumi.Map{
				"preferredDuringSchedulingIgnoredDuringExecution": pulumi.Array{pulumi.Map{
					"weight": pulumi.Int(100),
					"podAffinityTerm": pulumi.Map{
						"topologyKey": pulumi.String("kubernetes.io/hostname"),
						"labelSelector": pulumi.Map{"matchLabels": pulumi.Map{
							"app.kubernetes.io/instance":  pulumi.String(ChartChaosMesh.Name),
							"app.kubernetes.io/component": pulumi.String("controller-manager"),
						}},
					},
				}},
			}},
		},
		// EKS nodes (Amazon Linux 2023) run containerd; the chart's default is Docker's socket.
		"chaosDaemon": pulumi.Map{
			"runtime":    pulumi.String("containerd"),
			"socketPath": pulumi.String("/run/containerd/containerd.sock"),
			"mtls":       pulumi.Map{"enabled": pulumi.Bool(true)},
			"resources": pulumi.Map{
				"requests": pulumi.Map{"cpu": pulumi.String("25m"), "memory": pulumi.String("64Mi")},
				"limits":   pulumi.Map{"memory": pulumi.String("512Mi")},
			},
		},
		// securityMode is, despite its place, also the controller's SECURITY_MODE: its admission
		// webhook admits an experiment only if its creator may create that kind in every
		// namespace the experiment targets.
		"dashboard": pulumi.Map{"create": pulumi.Bool(false), "securityMode": pulumi.Bool(true)},
		// Only DNSChaos needs the chart's CoreDNS; no experiment uses it.
		"dnsServer": pulumi.Map{"create": pulumi.Bool(false)},
	}, opts...)
	return err
}
