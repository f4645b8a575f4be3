package spam

import (
	"strings"
)

// offsiteLinks are links that are not to a developer domain; only they count as promotion.
func (c *Checker) offsiteLinks(a *analysis) []link {
	var out []link
	for _, l := range a.links {
		if l.email {
			continue
		}
		if _, ok := inSet(c.domains.known, l.host); ok && !a.hostedImpostor(l.host) {
			continue
		}
		out = append(out, l)
	}
	return out
}

// securityAlert reports a text that warns the reader, in a platform's voice, of a security
// problem with their project or account ("We have detected a security vulnerability in your
// repository"): the wording of the platform impostors that linkRules looks for.
func (a *analysis) securityAlert() bool { return a.has(phAlert) && a.has(phSecurity) }

func (c *Checker) linkRules(a *analysis, req Request, out []Reason) []Reason {
	checked := map[string]bool{}
	var shortener *link
	var payload *link
	for i := range a.links {
		l := &a.links[i]
		if !checked[l.host] {
			checked[l.host] = true
			v := a.verdicts[l.host]
			sp := a.linkSpan(*l)
			switch v.kind {
			case domainPhishing:
				out = append(out, reason(CodePhishingURL, 0.97, sp, "%s is on the eth-phishing-detect blocklist (%s)", l.host, v.target))
			case domainHomograph:
				out = append(out, reason(CodeLookalikeDomain, 0.92, sp, "%s uses lookalike characters to imitate %s", l.host, v.target))
			case domainLookalike:
				out = append(out, reason(CodeLookalikeDomain, 0.85, sp, "%s is one or two letters from %s", l.host, v.target))
			case domainFuzzy:
				out = append(out, reason(CodeLookalikeDomain, 0.6, sp, "%s is close to the protected domain %s", l.host, v.target))
			case domainComboMoney, domainComboDev:
				w := 0.6 // a developer platform's name: its lures are narrower, so is the evidence
				if v.kind == domainComboMoney {
					w = 0.85
				}
				why := ""
				if a.securityAlert() {
					w, why = 0.9, ", in a text announcing a security problem"
				}
				out = append(out, reason(CodeLookalikeDomain, w, sp, "%s puts the brand %q beside %q in a domain the brand does not own%s", l.host, v.target, v.lure, why))
			case domainNone:
				// The 2024 "github-scanner" issues: "We have detected a security vulnerability in
				// your repository. Please contact us at github-scanner.com …". The platform's own
				// warnings link to the platform.
				if v.named != "" && !l.email && a.securityAlert() {
					out = append(out, reason(CodeLookalikeDomain, 0.9, sp, "%s names %q in a domain it does not own, in a text announcing a security problem (%q)", l.host, v.named, a.firstHitText(phAlert)))
				}
			}
		}
		if b, lure, money := freeMailImpostor(*l); b != "" {
			w := 0.6
			if money {
				w = 0.85
			}
			out = append(out, reason(CodeLookalikeDomain, w, a.linkSpan(*l), "%s puts the brand %q beside %q in an address at the free mail service %s", l.raw, b, lure, l.host))
		}
		if _, ok := inSet(c.domains.shorteners, l.host); ok && shortener == nil && !l.email {
			shortener = l
		}
		if payload == nil && !l.email && isPayloadLink(c, *l) {
			payload = l
		}
	}
	if shortener != nil {
		out = append(out, reason(CodeURLShortener, 0.35, a.linkSpan(*shortener), "link through the shortener %s hides where it goes", shortener.host))
	}
	if r, ok := piracyPage(a); ok && (payload == nil || !a.has(phMalwareLure)) {
		out = append(out, r)
	}
	if payload != nil && a.has(phMalwareLure) {
		out = append(out, reason(CodeMalwareDownload, 0.85, a.linkSpan(*payload), "download link %s next to crack/keygen/free-download wording", payload.host))
	} else if payload != nil && isExecutable(payload.path) {
		out = append(out, reason(CodeMalwareDownload, 0.4, a.linkSpan(*payload), "direct link to an executable on %s", payload.host))
	}

	// Link-heavy text: many off-site links with little else around them.
	if n := len(a.offsite); n >= 3 {
		linkBytes := 0
		hosts := map[string]bool{}
		for _, l := range a.offsite {
			linkBytes += l.end - l.start
			hosts[registrableOrHost(l.host)] = true
		}
		w := 0.0
		switch {
		case n >= 10:
			w = 0.75
		case n >= 6:
			w = 0.6
		case linkBytes*10 >= len(a.n.text)*3 || len(hosts) >= 3:
			w = 0.4
		}
		if w > 0 {
			sp := span{a.linkSpan(a.offsite[0]).start, a.linkSpan(a.offsite[n-1]).end}
			out = append(out, reason(CodeSEOLinkSpam, w, sp, "%d off-site links to %d domains", n, len(hosts)))
		}
	}

	if au := req.Author; au != nil && au.AccountAgeDays != nil && *au.AccountAgeDays < 7 && len(a.offsite) > 0 {
		w := 0.3
		if *au.AccountAgeDays <= 1 {
			w = 0.35
		}
		if au.PriorContributions != nil && *au.PriorContributions == 0 {
			w += 0.05
		}
		out = append(out, reason(CodeNewAccount, w, a.linkSpan(a.offsite[0]), "account is %d days old and posts off-site links", *au.AccountAgeDays))
	}
	return out
}

func registrableOrHost(host string) string {
	l := registrableLabel(host)
	if l == "" {
		return host
	}
	return l
}

// piracyPage finds the cracked-software post: two or more different words of the trade
// ("keygen", "full version", "license key", "free download") beside an off-site link, where the
// "download" is a page full of installers and ads rather than a file. "ssh-keygen" is a
// command, and one phrase alone ("set the license key") is ordinary talk. Cut on developer
// talk like the model.
func piracyPage(a *analysis) (Reason, bool) {
	if len(a.offsite) == 0 {
		return Reason{}, false
	}
	seen := map[string]bool{}
	first := -1
	for _, h := range a.hits {
		if h.class != phPiracy {
			continue
		}
		w := a.hitText(h)
		if w == "keygen" && h.firstTok > 0 && a.word(h.firstTok-1) == "ssh" {
			continue
		}
		if first < 0 {
			first = h.firstTok
		}
		seen[w] = true
	}
	if len(seen) < 2 {
		return Reason{}, false
	}
	return reason(CodeMalwareDownload, 0.7*a.devTalk, a.tokSpan(first, first+1), "cracked-software wording (%d kinds) beside a link to %s", len(seen), a.offsite[0].host), true
}

// isPayloadLink: a file on a file-sharing host, or an executable or archive anywhere except
// the code hosts developers attach releases to.
func isPayloadLink(c *Checker, l link) bool {
	if _, ok := inSet(c.domains.fileHosts, l.host); ok {
		return true
	}
	if l.host == "drive.google.com" || l.host == "docs.google.com" || strings.HasSuffix(l.host, "dropbox.com") {
		return true
	}
	if _, ok := inSet(c.domains.dev, l.host); ok {
		return false
	}
	return isExecutable(l.path) || isArchive(l.path)
}

func pathExt(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 && !strings.Contains(p[i:], "/") {
		return p[i+1:]
	}
	return ""
}

func isExecutable(p string) bool {
	switch pathExt(p) {
	case "exe", "scr", "msi", "bat", "cmd", "vbs", "jar", "apk", "dmg", "pkg", "ps1", "hta", "lnk", "iso", "com":
		return true
	}
	return false
}

func isArchive(p string) bool {
	switch pathExt(p) {
	case "zip", "rar", "7z":
		return true
	}
	return false
}
