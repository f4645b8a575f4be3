package stacks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ci-agent/ci-agent/components"
)

// ZoneConfig says where phase 2's public zone comes from (docs/infra.md, "DNS bootstrap").
type ZoneConfig struct {
	// ExistingZoneID: use this live zone of ci-agent:domain instead of creating one (the
	// recovery stack of region-failover.md uses prod's). Default "": create the zone.
	ExistingZoneID string
	// DelegationSetID: the reusable delegation set the created zone uses, the one the parent
	// zone's stack made for this domain (dev: prod's subdomainDelegationSetIds.dev), so the
	// parent's NS record points at this zone before it exists. Default "": the stack creates a
	// delegation set of its own (prod: the registrar's name servers, stable).
	DelegationSetID string
	// DelegatedSubdomains: labels under ci-agent:domain whose zones other stacks create (prod:
	// [dev]); each gets a delegation set and an NS record in this stack's zone. Default none.
	DelegatedSubdomains []string
}

// Route 53's IDs as the API returns them without their /hostedzone/ or /delegationset/ prefix.
var (
	hostedZoneID    = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	delegationSetID = regexp.MustCompile(`^[A-Z0-9]{1,32}$`)
)

// loadZone reads the keys of phase 2's zone and of the recovery mode.
func (c *Config) loadZone(r *reader) {
	c.Zone.ExistingZoneID = r.str("existingZoneId", "")
	c.Zone.DelegationSetID = r.str("delegationSetId", "")
	object(r, "delegatedSubdomains", &c.Zone.DelegatedSubdomains, []string(nil))
	c.SkipUsEast1 = r.bool("skipUsEast1", false)
}

// validateZone checks the zone keys and skipUsEast1 against each other and the phases.
func (c Config) validateZone() error {
	z := c.Zone
	set := map[string]bool{
		"existingZoneId": z.ExistingZoneID != "", "delegationSetId": z.DelegationSetID != "",
		"delegatedSubdomains": len(z.DelegatedSubdomains) > 0,
	}
	for _, key := range []string{"existingZoneId", "delegationSetId", "delegatedSubdomains"} {
		if set[key] && !c.Enabled(2) {
			return fmt.Errorf("config ci-agent:%s is set but phase 2 (the zone) is not in ci-agent:phases", key)
		}
	}
	if id := z.ExistingZoneID; id != "" && !hostedZoneID.MatchString(id) {
		return fmt.Errorf("config ci-agent:existingZoneId = %q: want a hosted zone ID like Z0123456789ABCDEFGHIJ, without /hostedzone/ "+
			"(prod's: pulumi stack output zoneId --stack prod)", id)
	}
	if id := z.DelegationSetID; id != "" && !delegationSetID.MatchString(id) {
		return fmt.Errorf("config ci-agent:delegationSetId = %q: want a Route 53 reusable delegation set ID like N0123456789ABCDEFGHIJ, "+
			"without /delegationset/ (pulumi stack output subdomainDelegationSetIds --stack prod)", id)
	}
	if z.ExistingZoneID != "" && z.DelegationSetID != "" {
		return fmt.Errorf("config ci-agent:existingZoneId and ci-agent:delegationSetId are both set: a live zone has its name servers " +
			"already; keep existingZoneId (the recovery stack) or delegationSetId (a stack that creates its zone)")
	}
	if z.ExistingZoneID != "" && len(z.DelegatedSubdomains) > 0 {
		return fmt.Errorf("config ci-agent:delegatedSubdomains is set with ci-agent:existingZoneId: the live zone's NS records are its " +
			"owner's (prod's), and two stacks would manage them; remove delegatedSubdomains from this stack")
	}
	for i, sub := range z.DelegatedSubdomains {
		if strings.HasSuffix(sub, "."+c.Platform.Domain) {
			return fmt.Errorf("config ci-agent:delegatedSubdomains[%d] = %q: give the name relative to ci-agent:domain (%s), such as %s",
				i, sub, c.Platform.Domain, strings.TrimSuffix(sub, "."+c.Platform.Domain))
		}
		if err := components.ValidSubdomain(sub); err != nil {
			return fmt.Errorf("config ci-agent:delegatedSubdomains[%d]: %w", i, err)
		}
		if slices.Index(z.DelegatedSubdomains, sub) != i {
			return fmt.Errorf("config ci-agent:delegatedSubdomains: %s is listed twice", sub)
		}
	}
	if c.SkipUsEast1 {
		if c.Region == "us-east-1" {
			return fmt.Errorf("config ci-agent:skipUsEast1 is true but aws:region is us-east-1: the key is for a stack in another region " +
				"that must not depend on us-east-1 (region-failover.md step 3)")
		}
		if c.Enabled(2) && z.ExistingZoneID == "" {
			return fmt.Errorf("config ci-agent:skipUsEast1 is true without ci-agent:existingZoneId: phase 2 would create a second zone of %s "+
				"that no registrar or parent delegates to, so its certificate never validates; set existingZoneId to the live zone "+
				"(pulumi stack output zoneId --stack prod)", c.Platform.Domain)
		}
	}
	return nil
}

// zoneWarnings: dev's domain is a subdomain of prod's in the same account, so it resolves only
// through the NS record prod keeps for it, which names the delegation set prod made for it.
func (c Config) zoneWarnings() []string {
	if c.Environment != "dev" || !c.Enabled(2) || c.Zone.DelegationSetID != "" || c.Zone.ExistingZoneID != "" {
		return nil
	}
	return []string{"ci-agent:delegationSetId is empty: phase 2 creates " + c.Platform.Domain + " with name servers of its own, which " +
		"prod's NS record for it does not name, so the certificate's validation waits 75 minutes and fails. Set it once per account: " +
		"pulumi config set ci-agent:delegationSetId \"$(pulumi stack output subdomainDelegationSetIds --stack prod --json | jq -r .dev)\" --stack dev " +
		"(docs/infra.md, DNS bootstrap)."}
}
