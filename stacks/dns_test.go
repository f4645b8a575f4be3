package stacks_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ci-agent/ci-agent/internal/plan"
	"github.com/ci-agent/ci-agent/stacks"
)

const (
	zoneType          = "aws:route53/zone:Zone"
	delegationSetType = "aws:route53/delegationSet:DelegationSet"
	recordType        = "aws:route53/record:Record"
)

// TestDNSDelegation: in a fresh account dev.ci-agent.tech must resolve before dev's first up,
// or dev's certificate validation waits 75 minutes and fails. prod's zone sits on a reusable
// delegation set (the name servers the registrar is given never change), and holds an NS
// record for dev.ci-agent.tech naming a second set, made for dev; dev's zone, given that
// set's ID, gets exactly those name servers. The two sets differ: Route 53 refuses a child
// zone sharing a name server with its parent (ConflictingDomainExists).
func TestDNSDelegation(t *testing.T) {
	prod := runStack(t, "prod")
	apexSet := named(t, prod, delegationSetType, "edge-ns")
	zone := named(t, prod, zoneType, "edge-zone")
	eq(t, "prod zone's delegation set", zone.Input("delegationSetId"), apexSet.ID)
	// A zone created before the sets keeps its name servers: the set is fixed at creation, and
	// a change would replace the live zone (records and the registrar's delegation with it).
	eq(t, "prod zone ignores a changed delegation set", zone.IgnoreChanges, []string{"delegationSetId"})
	devSet := named(t, prod, delegationSetType, "edge-ns-dev")
	ns := named(t, prod, recordType, "edge-delegate-dev")
	eq(t, "delegation record name", ns.Input("name"), "dev.ci-agent.tech")
	eq(t, "delegation record type", ns.Input("type"), "NS")
	eq(t, "delegation record zone", ns.Input("zoneId"), zone.Output("zoneId"))
	eq(t, "delegation record servers", ns.Input("records"), devSet.Output("nameServers"))
	if devSet.ID == apexSet.ID {
		t.Fatalf("dev's delegation set is prod's zone's (%s): Route 53 refuses the child zone", devSet.ID)
	}

	cfg, err := plan.LoadStackConfig("..", "dev")
	if err != nil {
		t.Fatal(err)
	}
	cfg["ci-agent:delegationSetId"] = devSet.ID // the bootstrap: prod's subdomainDelegationSetIds.dev
	dev, err := plan.Run("dev", cfg, stacks.Program)
	if err != nil {
		t.Fatal(err)
	}
	devZone := named(t, dev, zoneType, "edge-zone")
	eq(t, "dev zone", devZone.Input("name"), "dev.ci-agent.tech")
	eq(t, "dev zone's delegation set", devZone.Input("delegationSetId"), devSet.ID)
	if sets := dev.ByType(delegationSetType); len(sets) != 0 {
		t.Errorf("dev creates delegation sets %v; its zone uses prod's", sets)
	}
	if recs := dev.ByType(recordType); len(recs) == 0 {
		t.Fatal("dev has no records")
	}
	for _, r := range dev.ByType(recordType) {
		if r.Input("type") == "NS" {
			t.Errorf("dev creates an NS record %v: delegation is prod's", r.Input("name"))
		}
	}

	// The committed dev stack has no delegationSetId yet (it is the account's): the plan says so.
	c := stacks.Config{Environment: "dev", Phases: []int{1, 2}, Platform: stacks.PlatformConfig{Domain: "dev.ci-agent.tech"}}
	if w := strings.Join(c.Warnings(), "\n"); !strings.Contains(w, "ci-agent:delegationSetId is empty") {
		t.Errorf("dev without delegationSetId warns %q; want the bootstrap step", w)
	}
	c.Zone.DelegationSetID = devSet.ID
	if w := strings.Join(c.Warnings(), "\n"); strings.Contains(w, "delegationSetId") {
		t.Errorf("dev with delegationSetId warns %q", w)
	}
}

// TestRecoveryStackStaysOutOfUsEast1: the recovery stack of region-failover.md step 3 is made
// while us-east-1 is down. It creates nothing there (no explicit us-east-1 provider, no
// resource, no invoke), no zone of its own (a second ci-agent.tech nobody delegates to, where
// its certificate could never validate) and no CloudFront distribution (prod's holds
// api.ci-agent.tech), and still gives the app origin.ci-agent.tech in prod's live zone.
func TestRecoveryStackStaysOutOfUsEast1(t *testing.T) {
	const liveZone = "Z0PLANCIAGENTTECH"
	if plan.LiveZones[liveZone] != "ci-agent.tech" {
		t.Fatalf("the mocks' live zones %v lack prod's", plan.LiveZones)
	}
	m, err := plan.Run("prod-eu-west-1", recoveryConfig(t), stacks.Program)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range m.Resources() {
		if r.Region == "us-east-1" {
			t.Errorf("the recovery stack creates %s %s in us-east-1", r.Type, r.Name)
		}
	}
	for _, inv := range m.Invokes() {
		if inv.Region == "us-east-1" {
			t.Errorf("the recovery stack calls %s in us-east-1", inv.Token)
		}
	}
	for _, typ := range []string{zoneType, delegationSetType, "aws:cloudfront/distribution:Distribution",
		"aws:route53/healthCheck:HealthCheck", "aws:sns/topic:Topic"} {
		if rs := m.ByType(typ); len(rs) != 0 {
			t.Errorf("the recovery stack creates %d %s (%s…)", len(rs), typ, rs[0].Name)
		}
	}

	// The certificate validates in prod's zone, through the record prod's certificate uses too,
	// which destroying the recovery stack must leave in place.
	validation := named(t, m, recordType, "edge-cert-validation")
	eq(t, "validation record zone", validation.Input("zoneId"), liveZone)
	eq(t, "validation record kept on destroy", validation.RetainOnDelete, true)
	eq(t, "certificate region", named(t, m, "aws:acm/certificate:Certificate", "edge-cert").Region, "eu-west-1")
	for _, r := range m.ByType(recordType) {
		if r.Input("zoneId") != liveZone {
			t.Errorf("record %s goes to zone %v; want prod's %s", r.Name, r.Input("zoneId"), liveZone)
		}
	}

	// external-dns writes the app's origin record into prod's zone, and may change only it.
	eq(t, "ingress host", helmParameters(t, m, "prod")["ingress.host"], "origin.ci-agent.tech")
	var dnsValues any
	for _, r := range m.ByType("kubernetes:helm.sh/v3:Release") {
		if r.Input("chart") == "external-dns" {
			dnsValues = r.Input("values")
		}
	}
	if got := fmt.Sprint(dnsValues); !strings.Contains(got, "--zone-id-filter="+liveZone) {
		t.Errorf("external-dns values %s; want --zone-id-filter=%s", got, liveZone)
	}
	policy := fmt.Sprint(named(t, m, "aws:iam/rolePolicy:RolePolicy", "edge-external-dns-policy").Input("policy"))
	if !strings.Contains(policy, "arn:aws:route53:::hostedzone/"+liveZone) {
		t.Errorf("external-dns policy %s; want prod's zone", policy)
	}
}

// TestRecoveryExternalDNSHasItsOwnOwner: the recovery stack's cluster has prod's name and its
// ingress asks for prod's origin.ci-agent.tech in prod's zone. With prod's external-dns owner
// id, its external-dns would take prod's record for its own load balancer and prod's would take
// it back, every minute of a game day. With an id of its own it leaves prod's records alone
// until the runbook hands the name over; prod's id stays what its live records carry.
func TestRecoveryExternalDNSHasItsOwnOwner(t *testing.T) {
	owner := func(m *plan.Mocks) any {
		for _, r := range m.ByType("kubernetes:helm.sh/v3:Release") {
			if r.Input("chart") == "external-dns" {
				return r.Input("values").(map[string]any)["txtOwnerId"]
			}
		}
		t.Fatal("no external-dns release")
		return nil
	}
	recovery, err := plan.Run("prod-eu-west-1", recoveryConfig(t), stacks.Program)
	if err != nil {
		t.Fatal(err)
	}
	prodOwner, recoveryOwner := owner(runStack(t, "prod")), owner(recovery)
	eq(t, "prod's owner id (its records carry it)", prodOwner, "ci-agent-prod")
	eq(t, "the recovery stack's owner id", recoveryOwner, "ci-agent-prod-eu-west-1")
	eq(t, "the recovery stack's cluster", named(t, recovery, "eks:index:Cluster", "eks").Input("name"), "ci-agent-prod")
}

// TestZoneConfigErrors: the zone and recovery keys stop the program with the key's name.
func TestZoneConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"zone id with its path", map[string]string{"ci-agent:existingZoneId": "/hostedzone/Z0PLANCIAGENTTECH"}, `ci-agent:existingZoneId = "/hostedzone/`},
		{"delegation set id with its path", map[string]string{"ci-agent:delegationSetId": "/delegationset/N123"}, `ci-agent:delegationSetId = "/delegationset/N123"`},
		{"live zone and a delegation set", map[string]string{"ci-agent:existingZoneId": "Z0PLANDEVCIAGENTTECH", "ci-agent:delegationSetId": "N123"},
			"ci-agent:existingZoneId and ci-agent:delegationSetId are both set"},
		{"live zone with delegated subdomains", map[string]string{"ci-agent:existingZoneId": "Z0PLANDEVCIAGENTTECH", "ci-agent:delegatedSubdomains": `["pr"]`},
			"ci-agent:delegatedSubdomains is set with ci-agent:existingZoneId"},
		{"subdomain as a full name", map[string]string{"ci-agent:delegatedSubdomains": `["pr.dev.ci-agent.tech"]`},
			`ci-agent:delegatedSubdomains[0] = "pr.dev.ci-agent.tech": give the name relative to ci-agent:domain (dev.ci-agent.tech), such as pr`},
		{"subdomain not a DNS name", map[string]string{"ci-agent:delegatedSubdomains": `["pr", "Feature_1"]`}, `ci-agent:delegatedSubdomains[1]: "Feature_1" is not a name`},
		{"subdomain twice", map[string]string{"ci-agent:delegatedSubdomains": `["pr", "pr"]`}, "pr is listed twice"},
		{"zone keys without phase 2", map[string]string{"ci-agent:phases": "[1, 6]", "ci-agent:delegationSetId": "N123"},
			"ci-agent:delegationSetId is set but phase 2"},
		{"skipUsEast1 in us-east-1", map[string]string{"ci-agent:skipUsEast1": "true", "ci-agent:existingZoneId": "Z0PLANDEVCIAGENTTECH"},
			"ci-agent:skipUsEast1 is true but aws:region is us-east-1"},
		{"skipUsEast1 creating a zone", map[string]string{"aws:region": "eu-west-1", "ci-agent:skipUsEast1": "true"},
			"ci-agent:skipUsEast1 is true without ci-agent:existingZoneId"},
		{"live zone of another name", map[string]string{"ci-agent:existingZoneId": "Z0PLANCIAGENTTECH"},
			"the hosted zone Z0PLANCIAGENTTECH is ci-agent.tech, not dev.ci-agent.tech"},
		{"live zone that does not exist", map[string]string{"ci-agent:existingZoneId": "Z0NOSUCHZONE"},
			"looking up the hosted zone Z0NOSUCHZONE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{"aws:region": "us-east-1", "ci-agent:environment": "dev", "ci-agent:phases": "[1, 2]"}
			for k, v := range tc.set {
				cfg[k] = v
			}
			_, err := plan.Run("dev", cfg, stacks.Program)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("config %v: error = %v; want one containing %q", tc.set, err, tc.want)
			}
		})
	}
}
