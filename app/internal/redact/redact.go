// Package redact removes secrets from text before anything stores it. CI logs leak
// credentials all the time (an echoed env var, a clone URL with a password, a debug dump of a
// token); the logging pipeline keeps logs for months, so what it keeps must not be a key.
//
// A secret is replaced by a marker naming its type, [REDACTED:aws_access_key], so a reader of
// the stored log still sees that a key was there and which kind: that is often the diagnosis.
package redact

import (
	"bytes"
	"math/bits"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// rule is one kind of secret. literals are cheap substrings that every match contains (in
// lower case): a text containing none of them skips the regular expression.
type rule struct {
	kind     string
	literals []string
	// re finds a secret with its context. When the expression has submatches named secret,
	// only the one that took part in the match is replaced: the rest (a variable name, the
	// user part of a URL) stays verbatim. A match in which none took part is replaced by
	// nothing: such an alternative finds what looks like a secret's place but holds none (a
	// flag's type in a help listing, a ${{ … }} expression) and keeps it whole.
	re *lazy
	// inToken says that no match can hold whitespace (\s): every match then lies within the
	// whitespace-free run around one of the literals, and only those runs are searched.
	// A 16 KiB log with a few URLs is mostly not searched at all.
	inToken bool
	// inLine says the same of line breaks: every match lies within the line of a literal.
	// Rules triggered by common words ("token", "secret") then search a line, not the log.
	inLine bool
	// more, when set, finds the further secrets of the command a match of re is in (curl's
	// -u after its -U): it is tried where each match ends, again where it matched, and the
	// search for re resumes where it fails. It starts with \A, and its submatches are re's
	// (the same secret indexes), which TestRulesCompile checks. re then must not look left of
	// its start (no \b first): it is also searched in the text after a match.
	more *lazy
	// moreIf, when set, says whether more is tried after a match (of re or of more), given
	// its text: the authorization rule reads a cookie's further pairs, not what follows a
	// Bearer token, and not past a quote that closed the cookies or an unquoted -b's value.
	moreIf func(match string) bool
	// continued says that a match may go on over lines that end with a backslash: the
	// arguments of a command continued onto the next line (curl -sS \, then -u user:pw) are
	// still its own, as a script echoed by the CI (GitHub Actions' ##[group]Run, set -v)
	// shows them. The line of a literal is then searched with the lines that continue it.
	continued bool
	// words says that a match counts a continued command's words (htpasswd's, mc's positional
	// arguments): CommandLines then keeps every line of a command holding its literal.
	words bool
	// nextLine says that a match ends on the line after its literal's (a command that
	// prints a secret, and the line it printed): an inLine rule then searches that line too.
	nextLine bool
	// notKey, when set, keeps the secret of a match whose text before it (the key: "csrf_token=",
	// "secretName: ") it matches. Checked on matches only, it costs nothing per byte, where the
	// same key as a first alternative of re, with no secret, cost every position of the line.
	notKey *lazy
	// notValue, when set, keeps the secret of a match that it matches, from its start: a
	// value that only names where the secret is (ENV.fetch('X'), os.getenv("X")). Checked on
	// matches only, like notKey, where the same shapes as alternatives of re cost every
	// byte of the lines searched and took the password rule past 500 instructions.
	notValue *lazy
	// notMatch, when set, keeps the secret of a match m of s it returns true for, and of the
	// matches of more that follow it: a check that needs the text around the match, beyond
	// the line searched (curl's -b, whose curl may be on a line that the command continues).
	// It returns the check for one text, which is given that text's matches in order and may
	// read on from where it read for the one before: a check that read the line up to each
	// match again cost a long line of matches time quadratic in its length.
	notMatch func() func(s string, m []int) bool
}

var rules = []rule{
	{
		// The key ends with an -----END line; a log cut short (an excerpt, a truncated dump)
		// may lack it, and then everything that still looks like the key's base64 goes. An
		// excerpt that starts inside a key (the pipeline keeps a log's tail) lacks the BEGIN
		// line instead: then the whole lines of base64 before the END line go.
		kind:     "private_key",
		literals: []string{"private key-----"},
		re: lazyRegexp(`-----BEGIN[ A-Z0-9]*PRIVATE KEY-----(?:[\s\S]*?-----END[ A-Z0-9]*PRIVATE KEY-----|(?:(?:\s|\\n)*[A-Za-z0-9+/=]{16,})*)` +
			`|(?:[A-Za-z0-9+/=]+[ \t]*(?:\r?\n|\\n)[ \t]*)+-----END[ A-Z0-9]*PRIVATE KEY-----`),
	},
	{
		// A private key in base64, as kubectl get secret -o yaml prints a tls.key and
		// kubectl config view --raw a client-key-data: base64 of -----BEGIN … PRIVATE KEY,
		// "PRIVATE KEY" at any of its three alignments. A certificate (tls.crt) is public.
		kind:     "private_key",
		inToken:  true,
		literals: []string{"ls0tls1crudjti"},
		re:       lazyRegexp(cmdStart + `LS0tLS1CRUdJTi[A-Za-z0-9+/]{0,40}?(?:UFJJVkFURSBLRV|BSSVZBVEUgS0VZ|QUklWQVRFIEtFW)[A-Za-z0-9+/]*=*`),
	},
	{
		kind:     "aws_access_key",
		inToken:  true,
		literals: []string{"akia", "asia", "abia", "acca"},
		re:       lazyRegexp(cmdStart + `(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b`),
	},
	{
		// A secret access key is 40 base64 characters with nothing to tell it apart, so only
		// one that follows its usual names is recognised (with = or :, or a space as in aws
		// configure set aws_secret_access_key KEY).
		kind:     "aws_secret_key",
		literals: []string{"secret"},
		re:       lazyRegexp(`(?i)(?:aws_?secret_?access_?key|aws_?secret_?key|secretaccesskey)(?:["']?\s*[:=]\s*["']?|[ \t]+)(?P<secret>[A-Za-z0-9/+=]{40})\b`),
	},
	{
		kind:     "github_token",
		inToken:  true,
		literals: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
		re:       lazyRegexp(cmdStart + `(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b`),
	},
	{
		kind:     "gitlab_token",
		inToken:  true,
		literals: []string{"glpat-", "glptt-", "gldt-", "glrt-", "glcbt-", "gloas-", "gr1348941"},
		re:       lazyRegexp(cmdStart + `(?:glpat|glptt|gldt|glrt|glcbt|gloas)-[A-Za-z0-9_\-]{20,}|` + cmdStart + `GR1348941[A-Za-z0-9_\-]{20,}`),
	},
	{
		kind:     "slack_webhook",
		inToken:  true,
		literals: []string{"hooks.slack.com"},
		re:       lazyRegexp(`https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]+`),
	},
	{
		kind:     "slack_token",
		inToken:  true,
		literals: []string{"xox", "xapp-"},
		re:       lazyRegexp(cmdStart + `xox[abposre]-[A-Za-z0-9\-]{10,}|` + cmdStart + `xapp-[0-9]+-[A-Za-z0-9\-]{10,}`),
	},
	{
		kind:     "jwt",
		inToken:  true,
		literals: []string{"eyj"},
		re:       lazyRegexp(cmdStart + `eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}`),
	},
	// Vendor tokens recognised by their prefix. Each is anchored at a word boundary or a color
	// (cmdStart), so the prefix inside a longer word (MSG.…, MAIza…, hf_hub_download,
	// adapter) stays.
	{
		// Service, batch and recovery tokens; the legacy s.… tokens have no shape to tell them
		// apart.
		kind:     "vault_token",
		inToken:  true,
		literals: []string{"hvs.", "hvb.", "hvr."},
		re:       lazyRegexp(cmdStart + `hv[sbr]\.[A-Za-z0-9_\-]{24,}`),
	},
	{
		kind:     "sendgrid_key",
		inToken:  true,
		literals: []string{"sg."},
		re:       lazyRegexp(cmdStart + `SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}`),
	},
	{
		kind:     "huggingface_token",
		inToken:  true,
		literals: []string{"hf_"},
		re:       lazyRegexp(cmdStart + `hf_[A-Za-z0-9]{30,}\b`),
	},
	{
		// What aws eks get-token hands kubectl (a presigned STS request), also written into a
		// kubeconfig's token: field: whoever holds it is the cluster user until it expires.
		kind:     "eks_token",
		inToken:  true,
		literals: []string{"k8s-aws-v1."},
		re:       lazyRegexp(cmdStart + `k8s-aws-v1\.[A-Za-z0-9_\-]{20,}`),
	},
	{
		// An API key (AIza…), an OAuth client secret (GOCSPX-…), which a client_secret:
		// field or a downloaded client_secret.json holds, and an OAuth access token (ya29.…),
		// which gcloud auth print-access-token prints on a line of its own.
		kind:     "google_api_key",
		inToken:  true,
		literals: []string{"aiza", "gocspx-", "ya29."},
		re:       lazyRegexp(cmdStart + `AIza[0-9A-Za-z_\-]{35}|` + cmdStart + `GOCSPX-[0-9A-Za-z_\-]{24,}|` + cmdStart + `ya29\.[0-9A-Za-z_\-]{20,}`),
	},
	{
		// An API key SID: SK and 32 hex digits. A literal is three bytes at least, so there is
		// one for each hex digit after SK; most are rare in text, and "ske" (asked) only costs
		// a look at its word.
		kind:     "twilio_key",
		inToken:  true,
		literals: []string{"sk0", "sk1", "sk2", "sk3", "sk4", "sk5", "sk6", "sk7", "sk8", "sk9", "ska", "skb", "skc", "skd", "ske", "skf"},
		re:       lazyRegexp(cmdStart + `SK[0-9a-fA-F]{32}\b`),
	},
	{
		// Like a Slack webhook, the URL is the credential: it goes whole.
		kind:     "discord_webhook",
		inToken:  true,
		literals: []string{"i/webhooks/"}, // not "/ap": every /api/ URL
		re:       lazyRegexp(`https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_\-]+`),
	},
	{
		// Personal (dop_), OAuth (doo_) and refresh (dor_) tokens.
		kind:     "digitalocean_token",
		inToken:  true,
		literals: []string{"dop_v1_", "doo_v1_", "dor_v1_"},
		re:       lazyRegexp(cmdStart + `do[opr]_v1_[a-f0-9]{64}\b`),
	},
	{
		// Service (dp.st., with its config's name or not), personal, CLI, service-account,
		// SCIM and audit tokens.
		kind:     "doppler_token",
		inToken:  true,
		literals: []string{"dp.st.", "dp.pt.", "dp.ct.", "dp.sa.", "dp.scim.", "dp.audit."},
		re:       lazyRegexp(cmdStart + `dp\.(?:st|pt|ct|sa|scim|audit)\.(?:[A-Za-z0-9_\-]{1,35}\.)?[A-Za-z0-9]{40,}\b`),
	},
	{
		kind:     "linear_key",
		inToken:  true,
		literals: []string{"n_api_"}, // not "lin": line, linux
		re:       lazyRegexp(cmdStart + `lin_api_[A-Za-z0-9]{40,}\b`),
	},
	{
		// Admin API access (shpat_), custom app (shpca_), private app (shppa_) tokens and
		// shared secrets (shpss_).
		kind:     "shopify_token",
		inToken:  true,
		literals: []string{"shpat_", "shpca_", "shppa_", "shpss_"},
		re:       lazyRegexp(cmdStart + `shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b`),
	},
	{
		kind:     "databricks_token",
		inToken:  true,
		literals: []string{"dapi"},
		re:       lazyRegexp(cmdStart + `dapi[a-f0-9]{32}(?:-[0-9]+)?\b`),
	},
	{
		// More vendors' tokens by their prefix: Docker Hub personal access tokens (dckr_pat_),
		// Bitbucket app passwords (ATBB), Grafana service-account (glsa_) and cloud (glc_)
		// tokens, Postman (PMAK-), Pulumi (pul-), Netlify (nfp_), Fly.io (fo1_), Supabase
		// (sbp_), PlanetScale (pscale_tkn_/_pw_/_oauth_), Tailscale (tskey-), SonarQube
		// (squ_/sqp_/sqa_), Buildkite (bkua_), CircleCI (CCIPAT_), age secret keys, New Relic
		// (NRAK-), Dynatrace (dt0c01.), Terraform Cloud (….atlasv1.…) and Square (sq0atp-,
		// sq0csp-). Each with the length its vendor gives it, so the prefix in prose stays.
		kind:    "vendor_token",
		inToken: true,
		literals: []string{"dckr_pat_", "atbb", "glsa_", "glc_", "pmak-", "pul-", "nfp_", "fo1_", "sbp_", "pscale_",
			"tskey-", "squ_", "sqp_", "sqa_", "bkua_", "ccipat_", "age-secret-key-1", "nrak-", "dt0c01.", ".atlasv1.",
			"sq0atp-", "sq0csp-"},
		re: lazyRegexp(cmdStart + `(?:dckr_pat_[A-Za-z0-9_\-]{27,}|ATBB[A-Za-z0-9_=.\-]{32,}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}` +
			`|glc_[A-Za-z0-9+/]{32,}={0,2}|PMAK-[a-f0-9]{24}-[a-f0-9]{34}|pul-[a-f0-9]{40}|nfp_[A-Za-z0-9]{36}` +
			`|fo1_[A-Za-z0-9_\-]{43}|sbp_[a-f0-9]{40}|pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_=.\-]{32,64}` +
			`|tskey-[a-z]+-[A-Za-z0-9]+-[A-Za-z0-9]{20,}|sq[pua]_[a-f0-9]{40}|bkua_[a-f0-9]{40}` +
			`|CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}|AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}` +
			`|NRAK-[A-Z0-9]{27}|dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}|[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,}` +
			`|sq0atp-[A-Za-z0-9_\-]{22}|sq0csp-[A-Za-z0-9_\-]{43})\b`),
	},
	{
		// scheme://user:password@host keeps the user, which helps debugging and is no secret.
		kind:     "url_password",
		inToken:  true,
		literals: []string{"://"},
		re:       lazyRegexp(`[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s"'<>]*:(?P<secret>[^@/\s"'<>]+)@`),
		notValue: urlVariableRE,
	},
	{
		kind:     "npm_token",
		inToken:  true,
		literals: []string{"npm_"},
		re:       lazyRegexp(cmdStart + `npm_[A-Za-z0-9]{36}\b`),
	},
	{
		kind:     "pypi_token",
		inToken:  true,
		literals: []string{"pypi-ageichlwas5vcmc"},
		re:       lazyRegexp(cmdStart + `pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}`),
	},
	{
		// OpenAI's project, service-account, admin and sk-None- (a user key with no project)
		// keys, and the legacy shape whose middle is "OpenAI" in base64 (T3BlbkFJ).
		kind:     "openai_key",
		inToken:  true,
		literals: []string{"sk-proj-", "sk-svcacct-", "sk-admin-", "sk-none-", "t3blbkfj"},
		re:       lazyRegexp(cmdStart + `sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})`),
	},
	{
		// RubyGems API keys: rubygems_ and 48 hex digits.
		kind:     "rubygems_key",
		inToken:  true,
		literals: []string{"rubygems_"},
		re:       lazyRegexp(cmdStart + `rubygems_[a-f0-9]{48}\b`),
	},
	{
		// Sentry's organisation auth tokens (sntrys_, a base64 payload and a secret) and
		// user auth tokens (sntryu_ and 64 hex digits).
		kind:     "sentry_token",
		inToken:  true,
		literals: []string{"sntrys_", "sntryu_"},
		re:       lazyRegexp(cmdStart + `sntrys_[A-Za-z0-9+/=_\-]{40,}|` + cmdStart + `sntryu_[a-f0-9]{64}\b`),
	},
	{
		kind:     "anthropic_key",
		inToken:  true,
		literals: []string{"sk-ant-"},
		re:       lazyRegexp(cmdStart + `sk-ant-[A-Za-z0-9_\-]{32,}`),
	},
	{
		// Secret (sk_) and restricted (rk_) keys, live or test: a test key still reads the
		// account's test data. Publishable keys (pk_) are public by design and stay.
		kind:     "stripe_key",
		inToken:  true,
		literals: []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"},
		re:       lazyRegexp(cmdStart + `[sr]k_(?:live|test)_[A-Za-z0-9]{20,}`),
	},
	{
		// An Azure connection string (…;AccountName=x;AccountKey=…;…, Service Bus's
		// SharedAccessKey=…) and a SAS token's signature (…&sig=…, also inside
		// SharedAccessSignature=…). The other fields stay: the account and endpoint name what
		// failed, and a SAS without its sig grants nothing.
		kind:     "azure_key",
		inToken:  true,
		literals: []string{"accountkey=", "sharedaccesskey=", "sig="},
		re:       lazyRegexp(`(?i)(?:\bAccountKey=|\bSharedAccessKey=|[?&;=]sig=)(?P<secret>[A-Za-z0-9+/%]{16,}=*)`),
	},
	{
		// A presigned URL's signature (S3's X-Amz-Signature=, GCS's X-Goog-Signature=,
		// CloudFront's and S3 v2's Signature=): whoever has the URL has its access until it
		// expires, up to a week. The URL and its other parameters stay. Also escaped, as JSON
		// (\u0026), HTML (&amp;) or a URL inside a URL (%26…%3D) holds it: a %26 ends it.
		kind:     "signed_url",
		inToken:  true,
		literals: []string{"signature=", "signature%3d"},
		re: lazyRegexp(`(?i)(?:[?&]|\\u0026|&amp;|%26)(?:X-Amz-Signature|X-Goog-Signature|Signature)(?:=|%3D)` +
			`(?P<secret>(?:[A-Za-z0-9~_+/\-]|%(?:[013-9A-F][0-9A-F]|2[0-57-9A-F])){16,}(?:=|%3D)*)`),
	},
	{
		// A credential after an HTTP auth scheme (curl -H "Authorization: Bearer …", a dump of
		// request headers) or in a header that carries a key by itself (X-API-Key: …, CircleCI's
		// Circle-Token:, GitLab's JOB-TOKEN:, Artifactory's X-JFrog-Art-Api:, Cloudflare's
		// X-Auth-Key:). The
		// scheme and the header name stay: they are part of the diagnosis. Twelve characters
		// at least, so that prose ("the X-API-Key: header is missing") stays. X-Access-Token is
		// not among them: x-access-token: starts every GitHub Actions clone URL, and this rule
		// would then search every log's clone line for nothing (the token there is a ghs_).
		//
		// And the values of cookies, a session's credential: a Cookie: or Set-Cookie: header
		// (curl -H, curl -v's > and <, a JSON dump's "Cookie": "…"), curl's --cookie and -b
		// name=value, also attached (-bsid=…; -b cookies.txt names a file). Each value of the
		// header goes, through more (a=…; b=…, and a=…, b=… as some clients print them); the
		// names stay, and so do a Set-Cookie's attributes (notKey: Path=,
		// Domain=, Max-Age=, Expires=…) and a value cookiePair keeps; the pairs go on past a
		// Set-Cookie's valueless attributes and Expires' date (cookieSeparator). -b is curl's only: in
		// lower case, with curl earlier in the command (newCurlCookieCheck: make -B PREFIX=…
		// and sort -b key=value stay; after a space, and a bundle ending in s or L before a
		// space, as the literals say: -sSb 'k=v', -Lb k=v), and more reads further pairs only where cookies go on
		// (cookieGoesOn: not after a Bearer token, a closing quote or an unquoted -b's value).
		kind: "authorization",
		literals: []string{"bearer", "authorization", "api-key", "api-token", "auth-token", "vault-token",
			"private-token", "subscription-key", "circle-token", "job-token", "art-api", "auth-key", "cookie", "-b ", " -b", "sb ", "lb "},
		inLine: true,
		re: lazyRegexp(`(?i)(?:` + authHeader +
			`|(?:cookie["']?[ \t]*:[ \t]*["']?|--cookie(?:=|[ \t]+)["']?|` + ` (?-i:-(?:[fsSLkviINgGjlnORZqaBp#0-9]*[sSL]b [ \t]*|b[ \t]*))["']?)` + cookiePair + `)`),
		more:     lazyRegexp(`\A(?i:` + authHeader + `|` + cookieSeparator + cookiePair + `)`),
		moreIf:   cookieGoesOn,
		notKey:   cookieAttributeRE,
		notMatch: newCurlCookieCheck,
	},
	{
		// Passwords by their place rather than their shape: an environment dump
		// (PGPASSWORD=…, DB_PASSWORD=…, NPM_TOKEN=…, SMTP_PASS=…), .npmrc's _authToken, a JSON
		// field, a --password, --token, --api-key, --client-secret flag (not a bare --secret:
		// docker build's --secret id=x,src=path names a file, and pulumi config set --secret
		// takes no value), -Dsonar.login=. The name stays. Values under
		// six characters are left (TOKEN_TTL=300 is no secret), and so is a marker an earlier
		// rule put there, or a value that starts with <, * or - (<redacted>, ***, the next
		// flag), or $ (see placedValue). Names with password, passwd, passphrase, secret or
		// api_key match in any case; one with token in upper case (NPM_TOKEN=, GITHUBTOKEN=),
		// or in any case when token is a whole _-separated word (aws_session_token=,
		// Github_Token=, --token=): tokenizer= and max_tokens= are no secrets. PASS only as a
		// whole upper-case _-separated word before = (PASS: TestX, --- PASS and PASSED are
		// test results). (One alternative per name shape: each more costs every byte of the
		// lines searched, and past 500 instructions the regexp package drops its backtracker
		// for its slower NFA: most line shapes are the next rule.) A value that starts with =
		// is a pip pin (secretstorage==3.3.3), not a secret.
		//
		// A help listing's type after a flag (--token string   Personal access token, --pass
		// string) is matched first, with no secret, so it stays. A key that is no secret (notSecretKey:
		// next_page_token, csrf_token, secretName) keeps its value. --pass (lftp, duplicity)
		// only as that whole option: --pass-through and --passes 3 stay.
		kind: "password",
		literals: []string{"password", "passwd", "passphrase", "secret", "token", "api_key", "apikey", "api-key",
			"_auth", "pass=", "r.login", "--pass ", "account-key"},
		inLine: true,
		re: lazyRegexp(`(?:` + secretFlag + `|--pass)[ \t]+` + flagType + `(?:[ \t\r]|(?m:$))` +
			`|(?:` +
			`\b(?:[A-Z0-9_]*TOKEN[A-Z0-9_]*|(?:[A-Z0-9_]*_)?PASS|(?i:(?:[a-z0-9]+_)*token(?:_[a-z0-9]+)*))=` +
			`|sonar\.login=` +
			`|--pass[ \t=][ \t]*` +
			`|\b(?i:[a-z0-9_]*(?:password|passwd|passphrase|secret|api_?key)[a-z0-9_]*)[ \t]*[:=][ \t]*` +
			`|(?i:_authToken|_auth|_password)[ \t]*=[ \t]*` +
			`|"(?i:[a-z_]*(?:password|passwd|secret|token|api_?key)[a-z_]*)"[ \t]*:[ \t]*` +
			`|` + secretFlag + `(?:=|[ \t]+)` +
			`)` + placedValue),
		notKey:   notSecretKeyRE,
		notValue: namesSecretRE,
		notMatch: func() func(string, []int) bool { return sqlKeyword },
	},
	{
		// Rarer shapes of the rule above, apart from it so that the lines of its common words
		// are not searched for them too (each alternative there costs every byte of those
		// lines): a connection string's ;Pwd= (ADO.NET, ODBC; PWD= alone is the shell's
		// working directory), lower-case …_pass= (ansible_become_pass=), …_PWD= (MYSQL_PWD=;
		// not OLDPWD=), api-key= (kubectl --from-literal=api-key=), and a single-dash -token
		// or -password with a space (consul, nomad), whose type in Go's flag help (-token
		// string) is matched first, with no secret.
		kind:     "password",
		literals: []string{";pwd", "; pwd", "_pass=", "_pwd=", "api-key=", " -token", " -password"},
		inLine:   true,
		re: lazyRegexp(`[ \t]-(?:token|password)[ \t]+(?:` + flagType + `(?:[ \t\r]|(?m:$))|` + placedValue + `)` +
			`|(?:;[ \t]*(?i:pwd)[ \t]*=[ \t]*|\b(?:(?:[a-z0-9]+_)+pass|(?:[A-Z0-9]+_)+PWD|(?i:api-key))=)` + placedValue),
		notValue: namesSecretRE,
	},
	{
		// .netrc's machine host login user password VALUE on one line, or a line reading
		// password VALUE (or login user password VALUE): any length goes, where "password
		// authentication failed for user" stays. Apart from the rule above to keep each under
		// 500 instructions.
		kind:     "password",
		literals: []string{"password"},
		inLine:   true,
		re: lazyRegexp(`\b(?:machine[ \t]+\S+|default)[ \t]+(?:(?:login|account)[ \t]+\S+[ \t]+)+password[ \t]+(?P<secret>[^\s"'\[][^\s"']*)` +
			`|(?m:^)` + lineStart + `(?:(?:login|account)[ \t]+\S+[ \t]+)*password[ \t]+(?P<secret>[^\s"'\[]\S*)[ \t\r]*(?m:$)`),
	},
	{
		// Shapes whose value is told apart by the line around it: but for a flow map's entry
		// they are whole lines (after the timestamp a CI runner may prefix, and before a YAML
		// comment), which also keeps them cheap: only a line's start is tried.
		//   - YAML's token: VALUE (a kubeconfig's static token), also an entry of a flow map
		//     ({token: VALUE, …}): a token-like value of 16 or more characters that ends the
		//     line or the entry, since "error: refresh token: context deadline exceeded" is an
		//     error message.
		//   - YAML's pass:, db_pass:, DB_PASS: keys, with a value as the rule above takes
		//     (PASS: TestX, in upper case without a prefix, is a test result).
		// And docker's config.json "auth", base64(user:password): its value must look like it
		// (a multiple of four characters, twelve at least), so "auth": "required" stays.
		// These are apart from the rule above to keep each under the regexp package's 500
		// instructions, past which it drops its backtracker for its slower NFA.
		kind: "password",
		// "token:" also finds the x-access-token: of every clone URL, but only that line is
		// searched, and only from its start (and a flow map's { or ,), where no URL's key is.
		literals: []string{"token:", "pass:", `"auth"`},
		inLine:   true,
		re: lazyRegexp(`"(?i:auth)"[ \t]*:[ \t]*(?P<secret>"(?:[A-Za-z0-9+/]{4}){3,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")` +
			`|(?:(?m:^)` + lineStart + `(?:-[ \t]+)?|[{,][ \t]*)(?i:[a-z0-9_]*token):[ \t]*` +
			`(?P<secret>["']?[A-Za-z0-9._~+/\-]{16,}=*["']?)(?:[ \t]*[,}]|` + lineEnd + `)` +
			`|(?m:^)` + lineStart + `(?:-[ \t]+)?(?:(?:[a-z0-9]+_)*pass|(?:[A-Z0-9]+_)+PASS)[ \t]*:[ \t]+` + placedValue + lineEnd),
		notKey:   notSecretKeyRE,
		notValue: namesSecretRE,
	},
	{
		// A value a job masks with GitHub Actions' ::add-mask:: is a secret by its own word,
		// and xtrace prints it before the runner masks it (+ echo '::add-mask::VALUE'); so
		// are Azure Pipelines' ##vso[task.setsecret]VALUE and ##vso[task.setvariable …;
		// issecret=true]VALUE, and GitHub's deprecated ::set-output of a secret-named output
		// (name=token::VALUE; a name that ends otherwise, token_expires_at, secret_name,
		// stays: secretOutput). A variable ($TOKEN, ${{ … }}, $(X), %TOKEN%) names it and stays.
		// A |, ; or & after the marker ends the command (echo ::add-mask::| x) and is no value.
		// The rule comes before the command rules: a value holding one of those (p|w) is one
		// marker when they read the command, so a second pass finds no more.
		kind:     "password",
		literals: []string{"::add-mask::", "##vso", "::set-output"},
		inLine:   true,
		re: lazyRegexp(`(?:::add-mask::|##vso\[task\.setsecret\]|##vso\[task\.setvariable [^\]\n]*(?i:issecret=true)[^\]\n]*\]` +
			`|::set-output name=(?i:[a-z0-9_\-]*?` + secretOutput + `)::)(?P<secret>[^\s"'$%|;&][^\s"']*)`),
	},
	// Passwords given to a command whose place leaves no doubt, so a value of any length goes:
	// curl's -u/--user user:password (and -U/--proxy-user: the user stays, and -u without a
	// colon has no password), sshpass -p, and a here-string feeding --password-stdin
	// (docker login … --password-stdin <<< pw). In curl's user:password a variable ($TOKEN)
	// goes too: the shape stays readable; elsewhere a whole-word variable stays (commandValue).
	// Each expression starts with its literal and not with \b, so the regexp package skips to
	// the literal instead of trying every byte of the line (5× less time on a log's curl
	// lines); libcurl -u a:b would match, which no log says.
	{
		// -u is looked for only among the options curl may bundle with it, and only among
		// curl's own arguments: sort -u, git log -u and set -u after a |, ;, & or && are not
		// curl's, and neither is a -u inside a quoted argument (-d 'sort -u a:b'). Every -u,
		// -U, --user and --proxy-user of the command goes, not only the first: after each,
		// the next is looked for from where it ends to the end of the command, without curl.
		// A user that opens a quote ('user:pa ss') has the whole rest of the quoted string as
		// its password, spaces included; a word that goes on after that string goes whole.
		kind:      "password",
		literals:  []string{"curl"},
		inLine:    true,
		continued: true,
		notValue:  maskedRE,
		re:        lazyRegexp(`curl\b` + curlUser),
		more:      lazyRegexp(`\A` + curlUser),
	},
	{
		// skopeo's, podman's and buildah's --creds user:password, --src-creds, --dest-creds;
		// jenkins-cli's -auth user:apitoken (-auth @file names a file).
		kind:      "password",
		literals:  []string{"-creds", "jenkins-cli"}, // not "cre": create, credentials
		inLine:    true,
		continued: true,
		re:        lazyRegexp(`(?:--(?:[a-z]+-)?creds(?:=|[ \t]+)|` + cmdStart + `jenkins-cli\b` + commandRest + argStart + `-auth[ \t]+)` + userPassword),
		notValue:  maskedRE,
	},
	{
		// -p of a registry or cloud login: docker, podman, buildah, skopeo, nerdctl, oras,
		// helm registry, crane auth, az, oc and cf login. Only among the login's own
		// arguments: docker login r.io && ssh -p 2222 host keeps its port, and docker run -p
		// is no login. The literals are the commands' last letter and login with the one
		// space xtrace prints: "login" alone also took Login Succeeded, and "docker login" …
		// would be found through the trigrams of docker, build(ah), (run)ner, reg(istry),
		// words of most lines of a log. A variable or an expression (-p $PW, -p "${PW}",
		// -p ${{ secrets.PW }}) stays whole: it names the password.
		kind:      "password",
		literals:  []string{"r login", "n login", "h login", "o login", "l login", "s login", "y login", "z login", "c login", "f login"},
		inLine:    true,
		continued: true,
		notValue:  maskedRE,
		re: lazyRegexp(cmdStart + `(?:docker|podman|buildah|skopeo|nerdctl|oras|helm registry|crane auth|az|oc|cf) login\b` +
			commandRest + argStart + `-p(?:` + blanks + `)?` + commandValue),
	},
	{
		// A token or password option only for the commands that say so: -t of codecov's
		// uploaders (also the bash one, run as bash <(curl https://codecov.io/bash) -t …),
		// vercel and flyctl; -k, -ApiKey or -Password of (dotnet) nuget; sqlcmd -P;
		// cargo login TOKEN; openssl's -pass, -passin and -passout pass:PW (env:VAR and
		// file:path name where it is); twine's -p (--password is the rule above's). docker
		// build -t, tar -t, sort -t:, ssh -k and sqlcmd's -p are a tag, a listing, a
		// separator, an option and a flag. A value that starts with
		// , or - is help text (codecov: error: -t, --token must be provided) or the next
		// option, and a variable or an expression stays whole. The literals leave out the
		// names' first letters: "cod" (code), "ver" (version, server), "sql" and "car" start
		// words of many lines; "-pass" would find every --password-stdin, and " pass:" every
		// --- PASS: of go test. (redis-cli -a is the mysql rule's: each regexp under 500
		// instructions.)
		kind:      "password",
		literals:  []string{"decov", "ercel", "lyctl", "nuget", "lcmd", "o login", "s pass:", "n pass:", "t pass:", "twine"},
		inLine:    true,
		continued: true,
		notValue:  maskedRE,
		re: lazyRegexp(`(?:` + cmdStart + `(?:codecov(?:cli)?|vercel|flyctl)\b` + commandRest + argStart + `-t` +
			`|` + cmdStart + `nuget\b` + commandRest + argStart + `-(?:k|(?i:apikey|password)[ \t])` +
			`|` + cmdStart + `sqlcmd\b` + commandRest + argStart + `-P` +
			`|` + cmdStart + `cargo login(?:[ \t]+--registry[ \t=]+\S+)?[ \t]` +
			`|-pass(?:in|out)?[ \t]+pass:` +
			`|` + cmdStart + `twine\b` + commandRest + argStart + `-p[ \t]` +
			`)[ \t]*(?:[,\-]|` + commandValue + `)`),
	},
	{
		// More options that take a secret, each only among its command's arguments, as
		// the rule above: doctl's -t; ngrok's authtoken and config add-authtoken; netlify's
		// --auth; gh secret set's --body/-b (gh secret set K < file and --body "$K" stay);
		// npm/yarn/pnpm config set …_authToken, _auth, _password or npmAuthToken with the
		// value after a space (with = it is the password rule's); aws configure set
		// aws_session_token.
		kind:      "password",
		literals:  []string{"doctl", "ngrok", "tlify", "secret set", "config set", "configure set"},
		inLine:    true,
		continued: true,
		notValue:  maskedRE,
		re: lazyRegexp(cmdStart + `(?:doctl\b` + commandRest + argStart + `-t` +
			`|ngrok\b` + commandRest + argStart + `(?:--)?(?:add-)?authtoken[ \t=]` +
			`|netlify\b` + commandRest + argStart + `--auth[ \t=]` +
			`|gh secret set\b` + commandRest + argStart + `(?:-b|--body[ \t=])` +
			`|(?:npm|yarn|pnpm) config set[ \t]+\S*(?i:authtoken|_auth|_password)[ \t]` +
			`|aws configure set[ \t]+(?:\S+\.)?aws_session_token[ \t]` +
			`)[ \t]*(?:[,\-]|` + commandValue + `)`),
	},
	{
		// keytool's and jarsigner's -storepass and -keypass (also -srcstorepass, -destkeypass…,
		// and keytool's -new), each of the command; -storepass:env VAR and -keypass:file path
		// name where it is.
		kind:      "password",
		literals:  []string{"keytool", "jarsigner"},
		inLine:    true,
		continued: true,
		notValue:  maskedRE,
		re:        lazyRegexp(cmdStart + `(?:keytool|jarsigner)\b` + keystorePass),
		more:      lazyRegexp(`\A` + keystorePass),
	},
	{
		// And: openssl's -k and -K (enc's password and raw key; -key, -kfile stay); zip's and
		// unzip's -P (unzip -p pipes); mongo's tools' -p; dotnet nuget add/update source -p.
		// (The ldap tools' -w is the mysql rule's: each regexp under 500 instructions.)
		kind:      "password",
		literals:  []string{"openssl", "zip ", "mongo", "nuget"},
		inLine:    true,
		continued: true,
		notValue:  maskedRE,
		re: lazyRegexp(cmdStart + `(?:openssl\b` + commandRest + argStart + `-[kK][ \t]` +
			`|(?:zip|unzip)\b` + commandRest + argStart + `-P[ \t]` +
			`|mongo(?:sh|dump|restore|import|export|stat|top|files)?\b` + commandRest + argStart + `-p[ \t]` +
			`|nuget (?:add|update) source\b` + commandRest + argStart + `-p[ \t]` +
			`)[ \t]*(?:[,\-]|` + commandValue + `)`),
	},
	{
		// mysql's, mysqldump's and mysqladmin's -pPASSWORD, and 7-Zip's, among the command's
		// own arguments. Only attached: -p alone prompts, and the word after -p and a space is the
		// database (mysql -u root -p mydb). And, as the two rules above read them (apart to keep
		// each under 500 instructions): redis-cli's -a and the ldap tools' -w (-W prompts).
		kind:      "password",
		literals:  []string{"mysql", "7z ", "7za", "7zr", "7zz", "is-cli", "ldap"},
		inLine:    true,
		continued: true,
		notValue:  maskedRE,
		re: lazyRegexp(cmdStart + `(?:(?:mysql(?:dump|admin)?|7z[arz]?)\b` + commandRest + argStart + `-p` + commandValue +
			`|(?:redis-cli\b` + commandRest + argStart + `-a` +
			`|ldap(?:search|add|modify|delete|passwd|whoami|compare|modrdn)\b` + commandRest + argStart + `-w[ \t]` +
			`)[ \t]*(?:[,\-]|` + commandValue + `))`),
	},
	{
		// ssh-keygen's -N (new) and -P (old) passphrase, each of the command: -p -P old -N new
		// changes it. An empty '' or "" (no passphrase) stays, and so does a variable. The
		// literal leaves out "ssh", which starts every ssh line.
		kind:      "password",
		literals:  []string{"h-keygen"},
		inLine:    true,
		continued: true,
		notValue:  maskedRE,
		re:        lazyRegexp(`ssh-keygen\b` + sshKeygenPassphrase),
		more:      lazyRegexp(`\A` + sshKeygenPassphrase),
	},
	{
		// A .pgpass line, host:port:database:user:password. Five colon-separated fields
		// alone are too common a shape (file.go:12:5: is a compiler's location), so the host
		// must hold a letter or a dot, or be *, no field may hold whitespace, and the port is
		// one PostgreSQL and its poolers usually listen on (5432, 5433, 6432, 6543, 25060)
		// or *: the literals, so only the lines holding one are searched. Any port goes in a
		// text that names .pgpass (the next rule). A line that starts with a log level
		// (warning: db.acme.dev:5432:app:ci:connection refused, [ERROR], ::error::) is a
		// message, not a .pgpass line: it is matched whole first, with no secret.
		kind:     "password",
		inLine:   true,
		literals: []string{":5432:", ":5433:", ":6432:", ":6543:", ":25060:", ":*:"},
		re: lazyRegexp(`(?m:^)` + lineStart + `(?:##\[|::|\[)?(?i:warn(?:ing)?|err(?:or)?|info|debug|notice|fatal|panic|critical|trace)(?:\]|::|[: \t])[^\n]*?` + pgpassPort + `[^\n]*` +
			`|` + pgpassHost + pgpassPort + pgpassRest),
	},
	{
		// The lines of a cat ~/.pgpass, or of a PGPASSFILE, with any port: such a text is
		// rare, so it is searched whole.
		kind:     "password",
		literals: []string{".pgpass", "pgpassfile"},
		re:       lazyRegexp(pgpassHost + `:(?:[0-9]{1,5}|\*):` + pgpassRest),
	},
	{
		// heroku auth:token prints the token on the line after it: a UUID, or an HRKU- key.
		kind:     "password",
		literals: []string{"auth:token"},
		re: lazyRegexp(cmdStart + `heroku auth:token\b[^\n]*\n` + lineStart +
			`(?P<secret>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|HRKU-[A-Za-z0-9_\-]{20,})[ \t\r]*(?m:$)`),
	},
	{
		// A command that prints a secret, and the line it printed when that is one word (after
		// a runner's timestamp). These print no line break after the secret (vault's PrintRaw,
		// terraform output -raw, gcloud, base64 -d), so the log's next line is glued to it:
		// the secret ends at the end of the line, at a color (GitLab's \x1b[32;1m$ next) or
		// at xtrace's "+ " (hunter2+ echo done), and what follows stays. The commands: vault kv
		// get/read -field (= or a space) of a field named like a secret, terraform's or
		// tofu's output -raw (among other options) of an output named like one (printsSecret:
		// kms_key_arn, key_vault_name, secrets_bucket, instance_ip stay), aws secretsmanager
		// get-secret-value --output text, gcloud secrets versions access, 1Password's op read,
		// az keyvault secret show -o tsv, kubectl get secret … | base64 -d. Not when the
		// output goes to a file, a pipe or a $( ) (printArgs; 2>&1 and 2>/dev/null leave it in
		// the log), nor when --query picks an id, a name or attributes (notKey), and not a line
		// that starts like an xtrace line, a comment or JSON (+, #, {, [), or an error (it has
		// spaces).
		kind:     "password",
		literals: []string{"-field", "output -"},
		inLine:   true,
		nextLine: true,
		re: lazyRegexp(cmdStart + `(?:vault (?:kv get|read)\b` + printArgs + `[ \t]-field(?:=|[ \t]+)["']?(?i:[a-z0-9_\-]*?(?:` + secretOutput + `|value|key|pw))` +
			`|(?:terraform|tofu)(?:[ \t]+-\S+)*[ \t]+output(?:[ \t]+-\S+)*?[ \t]+-raw(?:[ \t]+-\S+)*[ \t]+["']?(?i:[a-z0-9_\-]*?` + secretOutput + `)` +
			`)` + printedName + printedSecret),
	},
	{
		// The other commands of the rule above, apart to keep each under 500 instructions.
		kind:     "password",
		literals: []string{"get-secret-value", "versions access", "op read", "keyvault secret", "base64 -d", "base64 --decode"},
		inLine:   true,
		nextLine: true,
		re: lazyRegexp(cmdStart + `(?:aws secretsmanager get-secret-value\b` + printArgs + `--output[ \t=]text` +
			`|gcloud secrets versions access\b` +
			`|op read\b` +
			`|az keyvault secret show\b` + printArgs + `(?:-o|--output)[ \t=]tsv` +
			`|kubectl get secrets?\b` + printArgs + `\|[ \t]*base64 (?:-d|--decode)` +
			`)` + printedSecret),
		notKey: queryNotSecretRE,
	},
	{
		// -p only among sshpass's own options: ssh -p 2222 after them is a port.
		kind:      "password",
		literals:  []string{"sshpass"},
		inLine:    true,
		continued: true,
		notValue:  maskedRE,
		re:        lazyRegexp(`sshpass(?:` + blanks + `(?:-[fdP][ \t]*\S+|-[ehvV]\S*))*` + blanks + `-p[ \t]*` + commandValue),
	},
	{
		// A here-string fed to a command that reads a secret from its input (docker login
		// --password-stdin, gh auth login --with-token, vercel env add), and a password
		// echoed into one of those, sudo -S or chpasswd: a single echo argument, only into
		// one of them. A variable or an expression stays. (One rule: they search the same
		// lines, and each rule's literal search is a pass over the text.) A quoted echo
		// argument keeps its quotes: with them in the marker, a value the password rules,
		// which run first, found too short ('echo ' in token='echo 'x' | sudo -S ') would be
		// one on a second pass.
		kind:      "password",
		literals:  []string{"--password-stdin", "--with-token", "env add", "sudo -s", "chpasswd"},
		inLine:    true,
		continued: true,
		notValue:  maskedRE,
		re: lazyRegexp(`(?:--(?:password-stdin|with-token)|` + cmdStart + `vercel env add)\b` + commandRest + `<<<[ \t]*` + commandValue +
			`|echo(?:[ \t]+-[neE]+)?[ \t]+(?:'(?P<secret>[^'\n]+)'|"(?P<secret>[^"\n$\\]+)"|` + commandValue + `)` +
			`[ \t]*\|[ \t]*(?:sudo[ \t]+-S|chpasswd|[^\n|;&]*?--(?:password-stdin|with-token)\b)`),
	},
	{
		// A password that is a command's positional argument: htpasswd's batch mode (-b),
		// the third word after the options (file user password), the second with -n (user
		// password); without b it prompts. The words may be on the lines a backslash
		// continues the command onto (blanks), the options on its first.
		kind:      "password",
		literals:  []string{"htpasswd"},
		inLine:    true,
		continued: true,
		words:     true,
		notValue:  maskedRE,
		re: lazyRegexp(cmdStart + `htpasswd(?:(?:[ \t]+-[A-Za-z0-9]+)*?[ \t]+-[A-Za-z0-9]*(?:n[A-Za-z0-9]*b|b[A-Za-z0-9]*n)[A-Za-z0-9]*(?:[ \t]+-[A-Za-z0-9]+)*` +
			`|(?:[ \t]+-[A-Za-mo-z0-9]+)*?[ \t]+-[A-Za-mo-z0-9]*b[A-Za-mo-z0-9]*(?:[ \t]+-[A-Za-mo-z0-9]+)*` + blanks + shellWord + `)` +
			blanks + shellWord + blanks + commandValue),
	},
	{
		// MinIO's mc alias set NAME URL ACCESS SECRET (and the older mc config host add): the
		// secret key, the fourth word, also on a continued line.
		kind:      "password",
		literals:  []string{"alias set", "host add"},
		inLine:    true,
		continued: true,
		words:     true,
		notValue:  maskedRE,
		re:        lazyRegexp(cmdStart + `mc (?:alias set|config host add)` + blanks + shellWord + blanks + shellWord + blanks + shellWord + blanks + commandValue),
	},
	{
		// More of them: poetry config http-basic.REPO USER PASSWORD and pypi-token.REPO TOKEN;
		// rabbitmqctl add_user/change_password USER PASSWORD; Oracle's user/password@db
		// (sqlplus, sqlldr, expdp, impdp; sqlplus / as sysdba has none); lftp's -u user,password
		// (also in the open of its -e script; -u user alone prompts); smbclient's -U
		// user%password.
		kind:      "password",
		literals:  []string{"poetry config", "rabbitmqctl", "sqlplus", "sqlldr", "expdp", "impdp", "lftp", "smbclient"},
		inLine:    true,
		continued: true,
		notValue:  maskedRE,
		re: lazyRegexp(cmdStart + `(?:(?:poetry config(?:[ \t]+--\S+)*[ \t]+(?:http-basic\.\S+[ \t]+` + shellWord + `|pypi-token\.\S+)` +
			`|rabbitmqctl\b` + commandRest + argStart + `(?:add_user|change_password|authenticate_user)[ \t]+` + shellWord + `)[ \t]+` + commandValue +
			`|(?:sqlplus|sqlldr|expdp|impdp)(?:[ \t]+-\S+)*[ \t]+["']?(?:userid=)?[^\s/@"'=]+/(?P<secret>[^\s@"']+)` +
			`|lftp\b[^\n]*?[ \t"']-u[ \t]+["']?[^\s,"']+,(?P<secret>[^\s"']+)` +
			`|smbclient\b` + commandRest + argStart + `(?:-U[ \t]*|--user(?:=|[ \t]+))["']?[^\s%"']+%(?P<secret>[^\s"']+)` + `)`),
	},
	{
		// What aws ecr get-login-password prints: base64 of {"payload":…}, the password of
		// the registry for twelve hours; and a base64 docker config.json ({"auths":…), a
		// Kubernetes secret's .dockerconfigjson, whose auth fields are user:password.
		kind:     "password",
		inToken:  true,
		literals: []string{"eyjwyxlsb2fkijoi", "eyjhdxrocyi6"},
		re:       lazyRegexp(cmdStart + `(?:eyJwYXlsb2FkIjoi[A-Za-z0-9+/]{64,}|eyJhdXRocyI6[A-Za-z0-9+/]{16,})=*`),
	},
	{
		// An XML element named like a secret: Maven's settings.xml <password>, <passphrase>,
		// <gpg.passphrase>, a <token>, an <apiKey>, STS's <SecretAccessKey>. A ${…} property names it and stays, and so
		// do longer names (<passwordPolicy>, <tokenizer>).
		kind:     "password",
		literals: []string{"password>", "passwd>", "passphrase>", "secret>", "token>", "key>"},
		inLine:   true,
		re:       lazyRegexp(`<(?i:[a-z0-9_.\-]*(?:password|passwd|passphrase|secret|token|api_?key|secret_?access_?key))>(?P<secret>[^<\s$][^<\n]*)</`),
	},
	{
		// SQL that sets a password: PostgreSQL's [WITH|LOGIN|ENCRYPTED] PASSWORD 'pw', MySQL's
		// IDENTIFIED [WITH plugin] BY 'pw', SET PASSWORD [FOR user] = 'pw' and its older
		// PASSWORD('pw') (also OLD_PASSWORD, UPDATE … SET authentication_string =
		// PASSWORD('pw')), in a psql -c or mysql -e, or a migration's echo. A
		// psql variable (:'pw'), NULL, a $VAR and a placeholder ('<password>') stay. So does a
		// message that quotes what is wrong with a password (error: password 'too short',
		// Password 'is required' for user ci): Password (not PASSWORD, SQL's keyword), or a
		// password that starts its line or follows a colon, before a quoted passwordProblem,
		// matched first with no secret, unless SQL's WITH, LOGIN or [UN]ENCRYPTED comes before
		// it (a match that starts there, further left, wins) or a ; ends the statement after
		// it. The quoted words themselves must say what is wrong: lower-case words alone are
		// a passphrase as often (alter user app\n  password 'correct horse battery staple';
		// -- set it: password '…'), and a message word after the quote does not tell a
		// message quoting the problem from one quoting the password (Password 'letmein' is
		// too weak). A lower-case password after a name is SQL's.
		kind:     "password",
		literals: []string{"password '", "password(", "identified by", "identified with", "set password"},
		inLine:   true,
		re: lazyRegexp(`(?i:\b(?:with|login|(?:un)?encrypted)[ \t]+password)[ \t]+'(?P<secret>` + sqlPassword + `)'` +
			`|(?i:\bset[ \t]+password(?:[ \t]+for[ \t]+[^\s=]+)?[ \t]*=|\b(?:old_)?password[ \t]*\()[ \t]*` + mysqlString +
			`|(?:(?:(?m:^)` + lineStart + `|:[ \t]*)password|\bPassword)[ \t]+'` + passwordProblem + `'(?:[ \t]*[^\s;]|[ \t\r]*(?m:$))` +
			`|(?i:\bidentified[ \t]+(?:with[ \t]+\S+[ \t]+)?by)[ \t]+` + mysqlString +
			`|(?i:\bpassword)[ \t]+'(?P<secret>` + sqlPassword + `)'`),
		notValue: maskedRE,
	},
}

// authHeader is the authorization rule's header or scheme and its credential.
const authHeader = `(?:(?:authorization:[ \t]*(?:bearer|basic|token|digest)|\bbearer)[ \t]+` +
	`|\b(?:api-key|api-token|auth-token|vault-token|private-token|subscription-key|circle-token|job-token|art-api|auth-key)["']?[ \t]*:[ \t]*["']?` +
	`)(?P<secret>[A-Za-z0-9._~+/\-]{12,}=*)`

// cookiePair is one name=value of a cookie: the name stays, and a value of six characters or
// more is the secret, after the colors a tool may print before it (kept). A shorter value, or one that starts with $ (a variable, ${{ … }}), *
// (what the CI masked), < (a placeholder) or [ (a marker), is matched with no secret, so the
// pairs after it are still read. A quote right after the value, which closes the header or
// the option's argument, is read with it: a command rule reading on would take it for one
// that opens.
const cookiePair = `[A-Za-z0-9_][A-Za-z0-9_!#$%&*+.^|~\-]*=(?:` + ansiColor + `)*(?:"(?P<secret>` + cookieValue + `)"|"[^\s;,"'\\\x1b]*"` +
	`|(?P<secret>` + cookieValue + `)|[^\s;,"'\\\x1b]*)["']?`

// cookieValue is a cookie's value that is a secret: six characters or more, not starting
// like a variable, what the CI masked, a placeholder or a marker. RFC 6265 lets a value
// stand in double quotes (sid="…"): cookiePair reads them around it.
const cookieValue = `[^\s;,"'\\\[<*$\x1b` + "`" + `][^\s;,"'\\\x1b]{5,}`

// sqlKeyword is the password rule's notMatch: a value that is the word password before a
// quoted string (set password: password 'correct horse battery staple'), or PASSWORD( before
// one in single or double quotes (SET PASSWORD = PASSWORD('pw'), = PASSWORD("pw"), MySQL's
// function), is SQL's keyword, and the quoted
// string the password: the SQL rule, which runs after, takes it (password ' and password( are
// its literals). Taken for the value, the word went and the password stayed.
func sqlKeyword(s string, m []int) bool {
	t, rest := s[m[0]:m[1]], s[m[1]:]
	switch {
	case len(t) > len("password(") && hasPrefixFold(t[len(t)-len("password("):], "password(") && !isWordByte(t[len(t)-len("password(")-1]):
		return strings.HasPrefix(rest, "'") || strings.HasPrefix(rest, "\"")
	case len(t) > len("password") && hasPrefixFold(t[len(t)-len("password"):], "password") && !isWordByte(t[len(t)-len("password")-1]):
		return strings.HasPrefix(strings.TrimLeft(rest, " \t"), "'") && (rest[0] == ' ' || rest[0] == '\t')
	}
	return false
}

// cookieGoesOn is the authorization rule's moreIf: further pairs (after a ; or a ,) are read
// after a Cookie: or Set-Cookie: header's pair, or one of a quoted --cookie or -b argument,
// until a quote closes them. An unquoted --cookie or -b value ends at its ; (the shell's:
// curl -b sid=…; RESULT=x runs a second command), and a Bearer token's ; charset=… is no
// cookie.
func cookieGoesOn(match string) bool {
	if q := match[len(match)-1]; q == '"' || q == '\'' {
		// The quote closes the header or the argument, unless it closes the value's own
		// quotes (sid="…"; next=…).
		if eq := strings.LastIndexByte(match, '='); eq < 0 || eq+2 >= len(match) || match[eq+1] != q {
			return false
		}
	}
	t := skipBlanksAndColors(match)
	switch {
	case strings.HasPrefix(t, ";") || strings.HasPrefix(t, ","):
		return true // a pair more read: its cookies go on
	case hasPrefixFold(t, "cookie"):
		return true
	case strings.HasPrefix(t, "--cookie"):
		t = strings.TrimLeft(t[len("--cookie"):], "= \t")
	case strings.HasPrefix(t, "-"): // -b, or a bundle ending in b (-sSb)
		t = strings.TrimLeft(t[strings.IndexByte(t, 'b')+1:], " \t")
	default:
		return false
	}
	return strings.HasPrefix(t, `"`) || strings.HasPrefix(t, "'")
}

// skipBlanksAndColors is s after the blanks and colors it starts with.
func skipBlanksAndColors(s string) string {
	for i := 0; i < len(s); {
		switch j := colorEnd(s, i); {
		case j > i:
			i = j
		case s[i] == ' ' || s[i] == '\t':
			i++
		default:
			return s[i:]
		}
	}
	return ""
}

// newCurlCookieCheck is the authorization rule's notMatch: a -b is a cookie only as curl's
// option, with curl earlier in the command (on its line or one it continues, at most
// maxCommand back): make -B PREFIX=/usr/local, git checkout -b x=y and sort -b key=value are
// no curl's. The command is read as commandRest reads it: quotes whole, and an unquoted |, ;
// or & ends it. A match on the line of the one before is read on from where that one's
// reading stopped (curl -b a=… -b c=…, or curl -bsid=… repeated, on one long line: reading
// each from the line's start made 256 KiB of them take seconds).
func newCurlCookieCheck() func(s string, m []int) bool {
	var st struct {
		ok, curl, colored bool
		start, pos        int
		quote             byte
	}
	return func(s string, m []int) bool {
		if t := skipBlanksAndColors(s[m[0]:m[1]]); !strings.HasPrefix(t, "-") || strings.HasPrefix(t, "--") {
			return false // a header's, or --cookie's
		}
		if !st.ok || m[0] < st.pos || strings.IndexByte(s[st.pos:m[0]], '\n') >= 0 {
			start := m[0]
			for {
				i := strings.LastIndexByte(s[:start], '\n')
				if i < 0 || m[0]-i > maxCommand || !continues(s[max(0, strings.LastIndexByte(s[:i], '\n')+1):i]) {
					start = i + 1
					break
				}
				start = strings.LastIndexByte(s[:i], '\n') + 1
			}
			st.ok, st.curl, st.colored, st.start, st.pos, st.quote = true, false, false, start, start, 0
		}
		i := st.pos
		for ; i < m[0]; i++ {
			c := s[i]
			wordStart := i == st.start || !isWordByte(s[i-1]) || st.colored
			st.colored = false
			switch {
			case c == '\x1b' && colorEnd(s[:m[0]], i) > i:
				i, st.colored = colorEnd(s[:m[0]], i)-1, true // GitHub's script echo: \x1b[36;1mcurl
			case st.quote != 0:
				if c == st.quote {
					st.quote = 0
				}
			case c == '"' || c == '\'':
				st.quote = c
			case c == '\\':
				i++
			case c == '|' || c == ';' || c == '&' && (i+1 >= m[0] || s[i+1] == '&' || isSpace(s[i+1])) && (i == 0 || s[i-1] != '>'):
				st.curl = false
			case (c == 'c' || c == 'C') && hasPrefixFold(s[i:m[0]], "curl") && wordStart &&
				(i+4 == m[0] || !isWordByte(s[i+4]) || s[i+4] == '.'):
				st.curl = true
			}
		}
		st.pos = i
		return !st.curl
	}
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// cookieAttributeRE matches the text of a cookie pair before its value when that is one of a
// Set-Cookie's attributes (; Path=/, ; Domain=example.com): no secret.
var cookieAttributeRE = lazyRegexp(`[;,][ \t]*(?i:path|domain|expires|max-age|samesite|priority)=\z`)

// cookieSeparator is what more reads between a cookie's pairs: a ; or a , and blanks, and
// also what a Set-Cookie holds between them that is no pair: an attribute with no value
// (; HttpOnly; Secure, sid=… in a folded Set-Cookie), the rest of Expires' date after its
// comma (expires=Sun, 06-Dec-26 23:00:00 GMT, sid=…; the weekday is read as the pair
// Expires=Sun) and an empty pair (;;, ; ;).
const cookieSeparator = `(?:[;,][ \t]*(?:(?:httponly|secure|partitioned|\d{1,2}[ \-][a-z]{3}[ \-]\d{2,4}[ \t]+\d{1,2}:\d\d:\d\d(?:[ \t]+gmt)?)[ \t]*)?)+`

// printArgs is a secret-printing command's text that keeps its output in the log: no pipe,
// no redirection of its output (2>&1, >&2 and 2>file are not), no ) or backtick (inside
// $( ) or `…` the output is a variable's value, not the log's).
const printArgs = `(?:[^\n|>)` + "`" + `]|[0-9]?>&[0-9]|2>>?[ \t]*[^\s|;&)` + "`" + `]+)*`

// secretOutput is how the name of an output or field that holds a secret ends (a terraform
// output, a vault field): db_password, client_secret, api_token, primary_access_key. A name
// that ends otherwise names where the secret is or what it is for (kms_key_arn,
// key_vault_name, ssh_key_name, secrets_bucket, secret_id). printedName is what may follow
// the name: its closing quote, then a blank, a color, ; or &, or the line's end.
const (
	secretOutput = `(?:pass(?:word|wd|phrase)?|pwd|secrets?|tokens?|credentials?|connection_?string` +
		`|(?:private|api|access|secret|account|master|signing|sas)[_\-]?key)` // #nosec G101 -- pattern, not a credential
	printedName = `["']?(?:[ \t\r\x1b;&]|(?m:$))`
)

// printedSecret is the rest of a secret-printing command's line, and the secret it printed
// on the next (see the rule).
const printedSecret = printArgs + `\n` + lineStart + `(?P<secret>[^\s+#{}\[\]<>\x1b](?:[^\s+\x1b]|\+\S){3,})(?:\+ |\x1b|[ \t\r]*(?m:$))`

// queryNotSecretRE matches a secret-printing command whose --query picks what is no secret: an
// id, a name, an ARN, attributes, tags (az keyvault secret show -o tsv --query id).
var queryNotSecretRE = lazyRegexp(`--query[ \t=]+["']?(?i:id|arn|name|kid|versionid|createddate|contenttype|attributes\S*|tags\S*)["']?[ \t\r\n\x1b]`)

// keystorePass is what follows keytool or jarsigner up to a password option, and the password.
const keystorePass = commandRest + argStart + `-(?:(?:src|dest)?(?:store|key)pass|new)[ \t]+` + commandValue

// sshKeygenPassphrase is what follows ssh-keygen up to its -N or -P, and the passphrase.
const sshKeygenPassphrase = commandRest + argStart + `-[NP][ \t]*(?:(?:''|"")(?:[ \t\r;|&)]|(?m:$))|` + commandValue + `)`

// secretFlag is a long option that takes a secret: --password, --token, --api-key,
// --auth-token, --client-secret, --…-password, gpg's --passphrase (not --passphrase-file or
// -fd, and not a bare --secret: docker build's --secret id=x,src=path names a file),
// --secret-key, az's --account-key (not --client-key or --private-key: paths).
const secretFlag = `--(?:(?:[a-z0-9]+-)*(?:password|passwd|passphrase|token|api-?key|secret-key|account-key)|(?:[a-z0-9]+-)+secret)` // #nosec G101 -- a pattern that finds credentials, not one

// flagType is the type a help listing (cobra's, pflag's) prints after a flag that takes a
// value: --token string   Personal access token. It is no value. Only the types of six
// letters or more (a shorter word is no value anyway) that a secret's flag may have.
const flagType = `(?:string(?:s|Array|Slice|ToString)?|duration|u?int(?:16|32|64)|float(?:32|64))`

// placedValue is the value after a name that says it is a secret: six characters at least,
// quoted or not, after the colors a tool may print before it (kept). One that starts with [ is a marker an earlier rule put there; with =, < , *
// or -, a pip pin (secretstorage==3.3.3), a placeholder (<redacted>, ***) or the next flag;
// with $ (unquoted or in double quotes), a variable or a ${{ … }} expression the shell or
// the CI expands: its name is no secret; with a backtick, a command's output.
//
// A reference to where code reads it (codeReference) is no value either: a rule with
// placedValue keeps it through notValue.
const placedValue = `(?:` + ansiColor + `)*(?P<secret>"[^"\n\[$][^"\n]{5,}"|'[^'\n\[][^'\n]{5,}'|[^\s"'\[=<*$\x1b` + "`" + `-][^\s"'\x1b]{5,})`

// codeReference starts code that reads a secret from the environment or the configuration,
// which a log shows in a stack trace, a linter's or a compiler's message, a diff: it names
// the secret and holds none. Node's process.env.X (also import.meta.env, Deno's and Bun's),
// Python's os.environ[…], os.getenv(…) and environ.get(…), Go's os.Getenv/os.LookupEnv,
// Java's System.getenv/getProperty, Elixir's System.get_env/fetch_env!, Ruby's ENV['X'] and
// ENV.fetch(…), PHP's getenv(…), Rust's env::var(…) and env!(…), .NET's
// Environment.GetEnvironmentVariable(…), Scala's sys.env. ($_ENV['X'], $ENV{X} and <%= … %>
// start with $ or <, which placedValue leaves anyway.)
const codeReference = `(?:process\.env|import\.meta\.env|(?:Deno|Bun)\.env|os\.(?:environ|[Gg]etenv|LookupEnv)|environ(?:\.get|\[)` +
	`|System\.(?:getenv|getProperty|get_env|fetch_env!)|ENV(?:\[|\.fetch\b)|getenv\(|(?:std::)?env(?:::var(?:_os)?|!)\(` +
	`|Environment\.GetEnvironmentVariable\(|sys\.env\b)`

// namesSecretRE matches a value that names a secret and holds none: one that starts with a
// code reference, or a template expression, whole ("{{ vault_db_password }}" of Ansible,
// Helm's {{ .Values.pw }}: what is rendered in its place is not logged). A rule that has it
// as notValue also keeps the name of an environment variable in an action's input
// (namesVariable).
var namesSecretRE = lazyRegexp(`\A(?:` + codeReference + `|["']?\{\{[^\n]*\}\}["']?\z)`)

// variableNameRE and inputKeyRE are the one shape in which a value that names the environment
// variable holding a secret is kept: actions/setup-java's inputs take such a name, and the
// runner echoes them (server-password: GITHUB_TOKEN, gpg-passphrase: MAVEN_GPG_PASSPHRASE).
// The value is upper-case letters only, _-separated words, one of them a whole secretWord;
// the line up to it is an input's key, lower-case words joined by -, then a colon and blanks
// (after a runner's timestamp and indentation). An environment dump's KEY=VALUE, a flag's
// value, a snake_case YAML key and a value with a digit (ADMIN_PASS_2024, PROD_KEY_7F3A9) go.
var (
	variableNameRE = lazyRegexp(`\A(?:(?:[A-Z]+_)+` + secretWord + `(?:_[A-Z]+)*|` + secretWord + `(?:_[A-Z]+)+)\z`)
	inputKeyRE     = lazyRegexp(`\A` + lineStart + `[a-z]+(?:-[a-z]+)*:[ \t]+\z`)
)

// namesVariable reports whether s[start:end], a password rule's secret, is the name of the
// variable that holds it in an action's input (see variableNameRE).
func namesVariable(s string, start, end int) bool {
	return variableNameRE.get().MatchString(s[start:end]) &&
		inputKeyRE.get().MatchString(s[strings.LastIndexByte(s[:start], '\n')+1:start])
}

// secretWord is what the name of a variable holding a secret says, in upper case.
const secretWord = `(?:TOKEN|PASSWORD|PASSWD|PASSPHRASE|SECRET|KEY|PASS|PWD|PAT|CREDENTIALS?)` // #nosec G101 -- a pattern, not a credential

// passwordProblem is what a message quotes as wrong with a password (see the SQL rule): a
// short list of validation phrases, which a passphrase does not start with.
const passwordProblem = `(?:(?:is |was )?(?:too (?:short|long|weak|simple|common)|not (?:set|given|provided|valid|allowed))` +
	`|(?:is|was) (?:required|invalid|incorrect|empty|missing|expired)|(?:does|did) not match|must (?:be|contain|have|include|differ|match|not)(?: [a-z]+)*|cannot be (?:empty|blank|reused))`

// placeholderName is an upper-case word that names a secret as a help or usage text does: no
// digit, and secretWord a whole _- or --separated word of it (API_TOKEN, SECRET-KEY,
// NEW_PASSWORD), as variableNameRE reads one, or one of the glued spellings real help texts
// use (mc's ACCESSKEY SECRETKEY, APIKEY, AUTHTOKEN, NEWPASSWORD). A word that merely holds
// one goes: MONKEYBUSINESS, PATHFINDER, COMPASSROSE, MYSECRETKEY, TOKENVALUE,
// SUPERSECRETPASS, PASSWORDSECRET, KEYPASS are passwords in upper case.
const placeholderName = `(?:[A-Z]+[_\-])*(?:` + secretWord + `|(?:ACCESS|SECRET|SECRETACCESS|API|AUTH|PRIVATE)(?:KEY|TOKEN)|(?:NEW|OLD)(?:PASSWORD|PASSWD|PASS))(?:[_\-][A-Z]+)*` // #nosec G101 -- a pattern, not a credential

// sqlPassword is the password in SQL's quotes: not a psql variable (:'pw') or a $VAR.
const sqlPassword = `[^'\n$:][^'\n]*` // #nosec G101 -- a pattern, not a credential

// mysqlString is a password in MySQL's quotes, single or double (MySQL reads a double-quoted
// string as a string unless ANSI_QUOTES is set): SET PASSWORD's, PASSWORD('…')'s and
// IDENTIFIED BY's. PostgreSQL's PASSWORD takes single quotes only (its double quotes name).
const mysqlString = `(?:'(?P<secret>` + sqlPassword + `)'|"(?P<secret>[^"\n$:][^"\n]*)")` // #nosec G101 -- a pattern, not a credential

// maskedRE matches a value given to a command that is no secret: what the CI masked (***)
// or an expression it substitutes (${{ secrets.PW }}, inside curl's "user:${{ … }}"), and a
// placeholder, as a help or usage text names a positional secret (mc alias set ALIAS URL
// ACCESSKEY SECRETKEY, rabbitmqctl add_user <username> <password>), quoted or not: <…> and
// […] of letters, _, - and . only (<new_password>, [password]; <s3cr3tPassw0rd> and
// [Xy9!kLm2] are passwords in brackets), a marker ([REDACTED], [REDACTED:password]), an
// upper-case name of a secret (placeholderName: SECRETKEY, API_TOKEN, [PASSWORD]),
// and a variable as urlVariableRE reads one ($TOKEN, $db_password: curl -u "$USER:$TOKEN";
// a mixed-case $ecretPw9 and a glued $uperpassword go) or any braced one (${PASSWORD},
// ${sshPass}): commandValue's $-words are read here.
var maskedRE = lazyRegexp(`\A(?:\*{3,}|\$\{\{[^\n]*\}\}|["']?(?:<[A-Za-z_.\-]+>|\[[A-Za-z_.\-]+\]|\[REDACTED[^\[\]\s]*\]|\[?` + placeholderName + `\]?` +
	`|\$(?:` + urlVariable + `|\{[A-Za-z_][A-Za-z0-9_]*\}))["']?)\z`)

// lowerVariable reports whether v, a command's value that maskedRE does not keep, is a
// variable in lower case ($user, "$value", $db_host2): _-separated words of letters, each
// ending in digits or not. A word that merely holds a secret word (uperpassword, mykey,
// s3cr3t's digits inside) is a password glued to a $, as placeholderName reads MONKEYBUSINESS
// in upper case; the secret word itself (pass, tokens, key2) names what the variable holds.
func lowerVariable(v string) bool {
	if len(v) > 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if len(v) < 2 || v[0] != '$' {
		return false
	}
	for _, w := range strings.Split(v[1:], "_") {
		i := 0
		for i < len(w) && 'a' <= w[i] && w[i] <= 'z' {
			i++
		}
		letters := w[:i]
		for i < len(w) && '0' <= w[i] && w[i] <= '9' {
			i++
		}
		if i < len(w) || letters == "" && w != "" {
			return false // not lower case, or a digit inside a word
		}
		if letters = strings.TrimSuffix(letters, "s"); slices.Contains(lowerSecretWords, letters) {
			continue
		}
		for _, sw := range lowerSecretWords {
			if strings.Contains(letters, sw) {
				return false
			}
		}
	}
	return true
}

// camelVariable reports whether v, a command's value that maskedRE does not keep, is a
// variable in camelCase, as PowerShell's and JavaScript's are named ($dockerPassword,
// "$deployPw", $mysqlRootPassword): a lower-case word, then one or more Capitalised words, of
// letters only. A digit anywhere ($uperPassw0rd, $ecretPw9, $p4ss) or capitals in a row are
// a password's mix, and it goes. The price: a letters-only password that happens to start
// with $ and read as camelCase ($uperSecret) is kept.
func camelVariable(v string) bool {
	if len(v) > 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if len(v) < 2 || v[0] != '$' {
		return false
	}
	w, words := v[1:], 0
	i := 0
	for i < len(w) && 'a' <= w[i] && w[i] <= 'z' {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(w) {
		if w[i] < 'A' || w[i] > 'Z' {
			return false
		}
		j := i + 1
		for j < len(w) && 'a' <= w[j] && w[j] <= 'z' {
			j++
		}
		if j == i+1 {
			return false // capitals in a row, or one ending the name
		}
		i, words = j, words+1
	}
	return words > 0
}

// lowerSecretWords are what lowerVariable looks for inside a variable's words.
var lowerSecretWords = []string{"password", "passwd", "passphrase", "pass", "pwd", "token", "secret", "key", "cred", "credential"}

// urlVariableRE matches a URL's password that is no secret: masked (***), or a variable the
// shell expands ($CI_JOB_TOKEN, ${CI_JOB_TOKEN}), as a script echoed by the CI shows it. A
// variable's name is upper case, or lower case ending in a word that says what it holds
// ($gitlab_token, ${password}): a password may start with $ too ($ecretPw9).
var urlVariableRE = lazyRegexp(`\A(?:\*{3,}|\$(?:` + urlVariable + `|\{` + urlVariable + `\}))\z`)

const urlVariable = `(?:[A-Z_][A-Z0-9_]*|(?:[a-z0-9]+_)*(?:token|password|passwd|pass|pw|pwd|passphrase|secret|key|auth|creds?|credentials))` // #nosec G101 -- pattern, not a credential

// notSecretKey is a key whose name says secret or token but whose value is none: a paging
// cursor (next_page_token, pageToken, pagination_token, continuation_token, sync_token), a
// CSRF token, which a form or an API hands every visitor, a Kubernetes secret's name
// (secretName:), Azure Pipelines' issecret=true flag, and an ARN's service
// (arn:aws:secretsmanager:region:…). notSecretKeyRE matches the text of a match before its secret when that is
// such a key: a whole word (api_page_token= is no paging cursor), then its : or =.
const notSecretKey = `(?i:(?:(?:next_?|prev_?)?page|pagination|continuation|sync|[cx]srf)_?token|secret_?names?|issecret|secretsmanager)` // #nosec G101 -- a pattern, not a credential

var notSecretKeyRE = lazyRegexp(`(?:\A|[^A-Za-z0-9_])"?` + notSecretKey + `"?[ \t]*[:=][ \t]*\z`)

// lineStart is what may come before a key that starts its line: a runner's timestamp and
// indentation. lineEnd is what may come after its value: a YAML comment, spaces.
const (
	lineStart = `(?:[0-9T:.\-]+Z[ \t])?[ \t]*`
	lineEnd   = `(?:[ \t]+#[^\n]*)?[ \t\r]*(?m:$)`
)

// curlUser is what follows curl up to a -u/-U/--user/--proxy-user of its own, and its
// user:password.
const curlUser = commandRest + argStart + `(?:-[fsSLkviINgGjlnORZqaBp#0-9]*[uU](?:` + curlBlanks + `)?|--(?:proxy-)?user(?:` + curlBlanks + `|=))` +
	userPassword

// userPassword is user:password given to a command, the user kept: quoted whole ('user:pa ss'
// has the rest of the quoted string as its password, spaces included) or a shell word whose
// part after the first colon goes. A quoted string only starts a shell word, which goes on to
// the next unquoted whitespace: "user:pa"ss is one word, and so is what xtrace prints for a
// password holding an apostrophe,
//
//	curl -u 'user:pa'\''ss word' https://x
//
// Such a word goes whole, its user too: a marker after the user's opening quote would leave
// that quote open, and the rest of the line, read again, would be misread as quoted.
const userPassword = `(?:(?P<secret>'[^'\n:\[]*:[^'\n]*'` + shellWordPart + `+)` +
	`|(?P<secret>"[^"\n:\[]*:(?:[^"\n\\]|\\.)*"` + shellWordPart + `+)` +
	`|'[^'\n:\[]*:(?P<secret>[^'\n]+)'?` +
	`|"[^"\n:\[]*:(?P<secret>(?:[^"\n\\]|\\.)+)"?` +
	`|[^\s:"'\[]*:` + commandArgument + `)`

// pgpassHost and pgpassRest are a .pgpass line around its port: a host name or address
// (a letter or a dot in it, so that 12:5432:… times and counters stay) or *, then
// database:user:password, none holding whitespace.
const (
	pgpassHost = `(?:\b[0-9\-]*[A-Za-z.][A-Za-z0-9.\-]*|\*)` // #nosec G101 -- a pattern, not a credential
	pgpassPort = `:(?:5432|5433|6432|6543|25060|\*):`        // #nosec G101 -- a pattern, not a credential
	pgpassRest = `[^\s:"']+:[^\s:"']+:(?P<secret>[^\s"']+)`  // #nosec G101 -- a pattern, not a credential
)

// commandRest is what may follow a command's name up to one of its arguments, as a shell
// reads it: quoted strings whole (a URL's & or a JSON body's ; inside quotes ends nothing), a
// backslash and the byte it escapes, a line continuation (the command goes on on the next
// line, after the timestamp a runner may prefix), and no |, ;, && or lone & outside quotes:
// those end the command. A & inside a word (an unquoted URL's ?a=1&b=2, 2>&1) does not. It
// is lazy, so that the first option found is the one replaced. A color (whose ; ends
// nothing) is read whole. A rule that holds it is continued (see rule.continued). A
// backtick or ^ but in a continuation is any other byte.
const commandRest = `(?:[^\n|;&"'\\\x1b]|&[^\s|;&"'\\]|` + continuation + `|\\.|\x1b(?:\[[0-9;]*m)?|"(?:[^"\n\\]|\\.)*"|'[^'\n]*')*?`

// continuation is a shell's line continuation: a backslash that ends its line, before the
// color's reset when GitHub Actions shows a run step's script (each of its lines is
// \x1b[36;1m…\x1b[0m; GitLab's is \x1b[0;m), or PowerShell's backtick or cmd's ^ after a
// blank (docker login `, curl -sS ^). commandRest, which holds it (beside the other
// escapes), then reads the next line's timestamp and color as any other bytes.
// continuationAt reads a line's end the same way.
const continuation = `(?:\\|[ \t][` + "`" + `^])(?:` + ansiColor + `)?\r?\n`

// ansiColor is an SGR escape sequence, a color.
const ansiColor = `\x1b\[[0-9;]*m`

// cmdStart is where a command's name, or a token recognised by its shape, starts: a word
// boundary, or the color GitHub Actions starts each line of a run step's script with
// (\x1b[36;1mdocker login …, \x1b[36;1mghp_…), whose m is a word character: \b finds no
// boundary there. So is any other CSI escape that ends in a letter: GitLab starts lines with
// \x1b[0K (erase to the line's end), and a progress display \x1b[2K; their K is a word
// character too, and so is the B of ESC ( B, the charset selection tput sgr0 prints before
// its reset. An escape a token's match starts with stays (replace, escapeEnd).
const cmdStart = `(?:\b|` + termEscape + `)`

// termEscape is an escape sequence that ends in a letter or a digit: a CSI one (a color,
// ansiColor; an erase, \x1b[0K, \x1b[2J; a cursor move; a private mode, \x1b[?25l), or a
// charset selection, ESC ( or ESC ) and its charset (\x1b(B, \x1b)0).
const termEscape = `\x1b(?:\[[0-9;?]*[A-Za-z]|[()][0-9A-Za-z])`

// argStart is what comes before one of a command's arguments after commandRest: a blank,
// or, on a line that continues the command, the line's start or its color (the argument
// starts the line). blanks is what separates two arguments where the command's text is not
// commandRest: blanks and line continuations with the next line's timestamp and color (a
// continuation first: its blank, taken as a blank, would leave a backtick or ^ to be read
// as the value), or, after a backtick, with PowerShell's continuation prompt (>> ), which an
// interactive transcript (no CI's colors) starts the next line with (-p `, then >> s3cr3tpw:
// the value is the word after it; first again, or >> would be). commandRest reads the
// prompt as any other bytes, and an argument after it starts after its blank (argStart).
// curlBlanks is blanks without the prompt, for curl's -u and --user: with it, the curl rule,
// which CommandLines has String read on every line of a command holding curl, grew from 245
// to 263 instructions, and the regexp package's backtracker, which takes a text of up to
// 256 Ki bits over the instructions, left texts of 1,000-1,070 bytes (a kept command near
// maxCommand) to its slower NFA: BenchmarkCommandLines/literal took 1.2× as long.
const (
	argStart   = `(?:[ \t]|(?m:^)|` + ansiColor + `)`
	blanks     = `(?:[ \t]` + "`" + `\r?\n>>[ \t]|` + continuation + `(?:[0-9T:.\-]+Z[ \t])?(?:` + ansiColor + `)?|[ \t])+`
	curlBlanks = `(?:` + continuation + `(?:[0-9T:.\-]+Z[ \t])?(?:` + ansiColor + `)?|[ \t])+`
)

// commandArgument is the value given to a command, a shell word: unquoted bytes and quoted
// strings, which may hold spaces. A quote left open runs to the end of the line, as the
// shell would read it, so the part after a space does not leak.
const commandArgument = `(?P<secret>` + shellWordPart + `+)`

// commandValue is commandArgument (after the colors before it, kept), but for an expression
// that is the whole argument ("$(cat pw)", ${{ secrets.PW }}): the shell or the CI puts the
// password there, and what names it is no secret, so the match holds no secret submatch and
// stays; so does an empty pair of quotes (none given), and a lone backtick or ^ (PowerShell's
// or cmd's continuation: with the line seen alone, the value is on the next). A $ and a
// name ($PW, "$pw", ${PW}) is the secret, up to a blank or what ends the command, and
// maskedRE, the rules' notValue, keeps it when it is a variable's shape: upper case
// ($DOCKER_PASSWORD, $S3_KEY), lower-case _-words ending in what it holds ($db_password,
// $pass), other lower-case _-words ($user, "$value": lowerVariable), or braced (${…}). A $
// glued to a word like a password goes: mixed case ($uperPassw0rd, $ecretPw9), a digit
// inside a word ($3cr3t, $p4ss), or a lower-case word that merely holds a secret word
// ($uperpassword; as placeholderName reads MONKEYBUSINESS). An unquoted $-word in a log is a
// script's echo (GitHub's or GitLab's, set -v), whose variables are named so, or a literal a
// tool printed as it is: xtrace prints a literal $ quoted ('pa$word'), and that goes too.
const commandValue = `(?:` + ansiColor + `)*(?:(?:\$\{\{[^\n]*?\}\}` +
	`|\$\([^()\n]*\)|"\$\([^()"\n]*\)"|['"]{2}|[` + "`" + `^]|(?P<secret>` + shellVariable + `|"` + shellVariable + `"))(?:[ \t\r;|&)\x1b]|(?m:$))` +
	`|` + commandArgument + `)`

const shellVariable = `\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})`

// shellWord is a whole shell word: a positional argument before the one that is the secret.
const shellWord = shellWordPart + `+`

// shellWordPart is a piece of a shell word: an unquoted byte, a backslash and the byte it
// escapes, or a quoted string (to the end of the line if it is not closed). A backslash
// before a \r or a color ends its line (a continuation: CRLF, GitHub's script echo) and
// escapes nothing: with the line seen alone, the flag's value is on the next.
const shellWordPart = `(?:[^\s"'\\\x1b]|\\[^\r\n\x1b]|"(?:[^"\n\\]|\\.)*"?|'[^'\n]*'?)`

// lazy is a regular expression compiled on first use: most texts trigger no rule, and the
// command-line tool, which never redacts, would otherwise compile them all at every start.
type lazy struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
	// secret lists the indexes of the submatches named secret: one per alternative that
	// finds the secret in its own way.
	secret []int
}

func lazyRegexp(expr string) *lazy { return &lazy{expr: expr} }

func (l *lazy) get() *regexp.Regexp {
	l.once.Do(func() {
		l.re = regexp.MustCompile(l.expr)
		for i, name := range l.re.SubexpNames() {
			if name == "secret" {
				l.secret = append(l.secret, i)
			}
		}
	})
	return l.re
}

// secretIn returns where the secret is in match m of the expression: its submatch named
// secret that took part, or the whole match when it has none. ok is false when it has some
// but none took part: the match holds no secret.
func (l *lazy) secretIn(m []int) (start, end int, ok bool) {
	for _, i := range l.secret {
		if m[2*i] >= 0 {
			return m[2*i], m[2*i+1], true
		}
	}
	return m[0], m[1], len(l.secret) == 0
}

// Marker is what replaces a secret of the given kind.
func Marker(kind string) string { return "[REDACTED:" + kind + "]" }

// Kinds lists the kinds of secret Redact recognises, each once (several rules find passwords).
func Kinds() []string {
	kinds := make([]string, 0, len(rules))
	for _, r := range rules {
		if !slices.Contains(kinds, r.kind) {
			kinds = append(kinds, r.kind)
		}
	}
	return kinds
}

// String returns s with every recognised secret replaced by its marker. It runs in time
// linear in len(s) per rule and allocates only when something is redacted.
func String(s string) string {
	s, _ = Count(s)
	return s
}

// Count is String that also says how many secrets of each kind were found.
func Count(s string) (string, map[string]int) {
	if strings.Contains(s, "`\n>> ") || strings.Contains(s, "`\r\n>> ") {
		if out, found, ok := countPrompted(s); ok {
			return out, found
		}
	}
	return count(s)
}

// countPrompted is count on s with PowerShell's >> prompt blanked on each line a backtick
// continued (an interactive transcript: PS C:\> curl.exe -sS -u ` then >> admin:pw `), so
// that every rule reads the prompt as the blanks it stands for, without each rule's regexp
// reading >> itself (curl's would pass the size at which the regexp package drops its
// backtracker: see curlBlanks). The prompts are put back in the result: markers hold no line
// break or backtick, so the continued line breaks are the same in number and order before
// and after; when they are not (a secret that took one), ok is false and s is left to count.
func countPrompted(s string) (out string, found map[string]int, ok bool) {
	b := []byte(s)
	var prompted []bool // per continued line break, in order: whether a prompt follows it
	for i := range b {
		if continuedBreak(s, i) {
			p := i+3 < len(b) && b[i+1] == '>' && b[i+2] == '>' && b[i+3] == ' '
			if p {
				b[i+1], b[i+2] = ' ', ' '
			}
			prompted = append(prompted, p)
		}
	}
	out, found = count(string(b))
	r := []byte(out)
	k := 0
	for i := range r {
		if !continuedBreak(out, i) {
			continue
		}
		if k >= len(prompted) {
			return "", nil, false
		}
		if prompted[k] {
			if i+2 >= len(r) || r[i+1] != ' ' || r[i+2] != ' ' {
				return "", nil, false
			}
			r[i+1], r[i+2] = '>', '>'
		}
		k++
	}
	if k != len(prompted) {
		return "", nil, false
	}
	return string(r), found, true
}

// continuedBreak reports whether s[i] is a line break after a backtick (and a \r).
func continuedBreak(s string, i int) bool {
	if s[i] != '\n' {
		return false
	}
	j := i - 1
	if j >= 0 && s[j] == '\r' {
		j--
	}
	return j >= 0 && s[j] == '`'
}

// count is Count's work: see Count.
func count(s string) (string, map[string]int) {
	var found map[string]int
	// first[i] is where the first literal of rules[i] is in s, as long as no marker replaced
	// a secret: a rule's search starts there, not at the start of s (a long log with one
	// "token" line near its end is not scanned once per rule that word triggers).
	if len(s) < 3 {
		return s, nil // no literal is shorter; and first is not zeroed for nothing
	}
	var first [64]int32
	present := triggeredAt(s, &first)
	shifted := len(s) > 1<<31-1 // first's positions would not fit
	// The loop stops after the last triggered rule and takes no copy of the others: on a
	// short text that triggers nothing, walking every rule cost as much as finding that out.
	for i := 0; present>>i != 0; i++ {
		if present&(1<<i) == 0 {
			continue
		}
		r := &rules[i]
		from := int(first[i])
		if shifted {
			from = 0
		}
		var n int
		s, n = replace(s, *r, 1<<i, from)
		if n > 0 {
			shifted = true
			if found == nil {
				found = map[string]int{}
			}
			found[r.kind] += n
			// s changed only where a marker replaced a secret, and no literal holds [ or ], so
			// the later rules gain no trigger but the marker's own ([REDACTED:password] holds
			// "password"). Adding those costs nothing per byte, where searching s again cost a
			// pass over the text for every kind found. A rule whose literal went with the
			// secret stays triggered and finds nothing: every match holds a literal.
			present |= markerTriggers[i]
		}
	}
	return s, found
}

// A literal is found through its first three bytes (ASCII lower case): trigramFilter has a
// bit set for the hash of every literal's first trigram, so one pass over the text, a few
// instructions per byte, rules out almost every position. Before, each of the ~25 literals
// was searched in a lower-cased copy of the text: 25 passes, and a copy whenever the text
// had an upper-case letter (docs/benchmarks.md).
var (
	trigramFilter [1 << 16 / 64]uint64
	anchored      = map[uint32][]anchor{}
	// markerTriggers[i] is triggered(Marker(rules[i].kind)).
	markerTriggers [64]uint64
	// continuedRules has the bit of each continued rule, wordRules of each words rule.
	continuedRules, wordRules uint64
	// nextLineRules has the bit of each nextLine rule: a command that prints a secret.
	nextLineRules uint64
)

type anchor struct {
	literal string
	rule    uint64 // bit of the rule in triggered's result
}

func init() {
	if len(rules) > 64 {
		panic("redact: more rules than bits in triggered's result")
	}
	for i, r := range rules {
		for _, l := range r.literals {
			if len(l) < 3 || strings.ToLower(l) != l || strings.ContainsAny(l, "[]") {
				panic("redact: literal " + l + " must be lower case, at least 3 bytes and hold no [ or ]")
			}
			t := trigram(l[0], l[1], l[2])
			trigramFilter[trigramHash(t)/64] |= 1 << (trigramHash(t) % 64)
			anchored[t] = append(anchored[t], anchor{l, 1 << i})
		}
	}
	for i, r := range rules {
		markerTriggers[i] = triggered(Marker(r.kind))
		if r.continued {
			continuedRules |= 1 << i
		}
		if r.words {
			wordRules |= 1 << i
		}
		if r.nextLine {
			nextLineRules |= 1 << i
		}
	}
}

func trigram(a, b, c byte) uint32 { return uint32(a)<<16 | uint32(b)<<8 | uint32(c) }

func trigramHash(t uint32) uint32 { return (t * 0x9E3779B1) >> 16 }

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// triggered returns the set of rules (bit i for rules[i]) one of whose literals occurs in s,
// ignoring ASCII case.
func triggered(s string) uint64 { return triggeredAt(s, nil) }

// triggeredAt is triggered that also sets first[i], when first is not nil, to where the
// first literal of rules[i] starts in s.
func triggeredAt(s string, first *[64]int32) uint64 {
	if len(s) < 3 {
		return 0
	}
	var set uint64
	t := trigram(0, lowerASCII(s[0]), lowerASCII(s[1]))
	for i := 2; i < len(s); i++ {
		t = (t<<8 | uint32(lowerASCII(s[i]))) & 0xffffff
		h := trigramHash(t)
		if trigramFilter[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		for _, a := range anchored[t] {
			if set&a.rule == 0 && hasPrefixFold(s[i-2:], a.literal) {
				set |= a.rule
				if first != nil {
					first[bits.TrailingZeros64(a.rule)] = int32(i - 2)
				}
			}
		}
	}
	return set
}

// hasPrefixFold reports whether s starts with the lower-case literal, ignoring ASCII case.
func hasPrefixFold(s, literal string) bool {
	if len(s) < len(literal) {
		return false
	}
	for i := 0; i < len(literal); i++ {
		if lowerASCII(s[i]) != literal[i] {
			return false
		}
	}
	return true
}

// findAll is r.re.get().FindAllStringSubmatchIndex(s, -1), searching only the runs around the
// literals for an inToken rule. The runs are delimited by whitespace, which no match holds
// and which is not a word character, so \b and leftmost-first matching see the same text
// as in the whole of s. The literals are looked for from s[from:]: none is before.
func findAll(s string, r rule, bit uint64, from int) [][]int {
	var bound func(byte) bool
	switch {
	case r.inToken:
		bound = isSpace
	case r.inLine:
		bound = isNewline
	default:
		return r.find(s)
	}
	var all [][]int
	// The literals are found as triggered finds them, through the trigram filter: a few
	// instructions a byte, where comparing every literal at every byte cost ~10 ns a byte
	// for a rule with nine literals.
	var t uint32
	for i := from; i < len(s); i++ {
		t = (t<<8 | uint32(lowerASCII(s[i]))) & 0xffffff
		if i < from+2 {
			continue
		}
		if h := trigramHash(t); trigramFilter[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		at := i - 2
		found := false
		for _, a := range anchored[t] {
			if a.rule == bit && hasPrefixFold(s[at:], a.literal) {
				found = true
				break
			}
		}
		if !found {
			continue
		}
		start, end := at, at
		for start > 0 && !bound(s[start-1]) {
			start--
		}
		for end < len(s) && !bound(s[end]) {
			end++
		}
		// The lines that continue a command's line are searched with it. Each is read once:
		// the search for literals resumes after them.
		for r.continued && end < len(s) && continues(s[start:end]) {
			end++
			for end < len(s) && s[end] != '\n' {
				end++
			}
		}
		// A match of a nextLine rule goes on to the next line; the search for literals then
		// resumes on that line, where the whole text's search would (after the last match,
		// or at the line's end).
		resume := end
		if r.nextLine && end < len(s) {
			end++
			for end < len(s) && s[end] != '\n' {
				end++
			}
		}
		for _, m := range r.find(s[start:end]) {
			for k := range m {
				if m[k] >= 0 {
					m[k] += start
				}
			}
			all = append(all, m)
			resume = max(resume, m[1])
		}
		// The run is done; the next literal is in a later one. Its first trigram is whole
		// two bytes after the boundary, which the window below rebuilds.
		if !r.nextLine {
			resume = end
		}
		i, t = resume, 0
	}
	return all
}

// find is r.re.get().FindAllStringSubmatchIndex(s, -1), with, after each match, those of
// r.more that follow it (see rule.more).
func (r rule) find(s string) [][]int {
	re := r.re.get()
	if r.more == nil {
		return re.FindAllStringSubmatchIndex(s, -1)
	}
	more := r.more.get()
	var all [][]int
	at := 0
	for m := re.FindStringSubmatchIndex(s); m != nil; {
		for k := range m {
			if m[k] >= 0 {
				m[k] += at
			}
		}
		if m[1] == m[0] {
			break // neither expression matches the empty string; were one to, this stops
		}
		all = append(all, m)
		at = m[1]
		if r.moreIf != nil && !r.moreIf(s[m[0]:m[1]]) {
			m = re.FindStringSubmatchIndex(s[at:])
		} else if m = more.FindStringSubmatchIndex(s[at:]); m == nil {
			m = re.FindStringSubmatchIndex(s[at:])
		}
	}
	return all
}

func isNewline(c byte) bool { return c == '\n' }

// continues reports whether a line ends with a backslash, or a blank and a backtick or ^
// (before a \r, and a color's reset: see continuation), which continues it on the next line.
func continues[T string | []byte](line T) bool { return continuationAt(line) >= 0 }

// continuationAt is where the backslash (backtick, ^) that continues line is, or -1 when none
// does.
func continuationAt[T string | []byte](line T) int {
	n := len(line)
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	// A color's reset after the continuation: the digits and ; before the m, then its ESC [.
	if n > 0 && line[n-1] == 'm' {
		i := n - 2
		for i >= 0 && ('0' <= line[i] && line[i] <= '9' || line[i] == ';') {
			i--
		}
		if i >= 1 && colorEnd(line, i-1) == n {
			n = i - 1
		}
	}
	switch {
	case n > 0 && line[n-1] == '\\':
		return n - 1
	case n > 1 && (line[n-1] == '`' || line[n-1] == '^') && (line[n-2] == ' ' || line[n-2] == '\t'):
		return n - 1 // PowerShell's, cmd's: after a blank (see continuation)
	}
	return -1
}

// colorEnd is where the color (an SGR escape, ansiColor) that starts at line[i] ends, or i
// when none starts there. continuationAt reads the one before a continuation's end, plainLine
// those inside a line, replace those before a secret.
func colorEnd[T string | []byte](line T, i int) int { return csiEnd(line, i, true) }

// escapeEnd is where the escape (termEscape) that starts at s[i] ends, or i when none starts
// there: replace keeps those cmdStart matched before a secret.
func escapeEnd(s string, i int) int {
	if i+2 < len(s) && s[i] == '\x1b' && (s[i+1] == '(' || s[i+1] == ')') && isWordByte(s[i+2]) && s[i+2] != '_' {
		return i + 3 // a charset selection
	}
	return csiEnd(s, i, false)
}

// csiEnd is where the CSI escape (ESC [, parameters, a final letter) that starts at line[i]
// ends, or i when none starts there. With sgr, only a color: digits and ';', then m.
func csiEnd[T string | []byte](line T, i int, sgr bool) int {
	if i+1 >= len(line) || line[i] != '\x1b' || line[i+1] != '[' {
		return i
	}
	j := i + 2
	for j < len(line) && ('0' <= line[j] && line[j] <= '9' || line[j] == ';' || !sgr && line[j] == '?') {
		j++
	}
	if j < len(line) && (line[j] == 'm' || !sgr && ('a' <= line[j] && line[j] <= 'z' || 'A' <= line[j] && line[j] <= 'Z')) {
		return j + 1
	}
	return i
}

// isSpace is \s in Go's regular expressions.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// replace substitutes every match of r in s. It works on the match positions in s, not on
// the matched text alone: a match re-examined out of its context would lose its \b anchors.
func replace(s string, r rule, bit uint64, from int) (string, int) {
	matches := findAll(s, r, bit, from)
	if matches == nil {
		return s, 0
	}
	marker := Marker(r.kind)
	var b strings.Builder
	b.Grow(len(s))
	n, last := 0, 0
	chainEnd := -1 // where the last match notMatch kept ends: more's matches after it stay too
	var notMatch func(string, []int) bool
	if r.notMatch != nil {
		notMatch = r.notMatch()
	}
	for _, m := range matches {
		if notMatch != nil {
			if m[0] == chainEnd && (s[m[0]] == ';' || s[m[0]] == ',') || notMatch(s, m) {
				chainEnd = m[1]
				continue
			}
		}
		secretStart, secretEnd, ok := r.re.secretIn(m)
		// A color or other escape before the secret (cmdStart's) is no part of it, and stays.
		for j := escapeEnd(s, secretStart); j > secretStart && j <= secretEnd; j = escapeEnd(s, secretStart) {
			secretStart = j
		}
		if !ok || strings.HasPrefix(s[secretStart:secretEnd], "[REDACTED:") {
			continue // no secret, or redacted by an earlier rule or an earlier pass
		}
		if r.notKey != nil && r.notKey.get().MatchString(s[m[0]:secretStart]) {
			continue // a key that holds no secret: a paging cursor, a secret's name
		}
		if r.notValue != nil && r.notValue.get().MatchString(s[secretStart:secretEnd]) {
			continue // a value that names the secret: code reading it from the environment
		}
		if r.notValue == maskedRE && (lowerVariable(s[secretStart:secretEnd]) || camelVariable(s[secretStart:secretEnd])) {
			continue // a variable in lower case or camelCase: $user, "$value", $dockerPassword
		}
		if r.notValue == namesSecretRE && namesVariable(s, secretStart, secretEnd) {
			continue // an action's input that names the variable holding the secret
		}
		b.WriteString(s[last:secretStart])
		b.WriteString(marker)
		last = secretEnd
		n++
	}
	if n == 0 {
		return s, 0
	}
	b.WriteString(s[last:])
	return b.String(), n
}

// KeyLines follows PEM private keys through a text read line by line, as a log is: a line of
// a key's base64 looks like any other text to String, which needs the BEGIN line in view.
type KeyLines struct{ inKey bool }

// Secret reports whether line belongs to a private key: its BEGIN or END line, or, after a
// BEGIN line, a line that still looks like the key (base64, a PEM header, blank).
func (k *KeyLines) Secret(line []byte) bool {
	if bytes.Contains(line, pemBegin) && bytes.Contains(line, pemPrivateKey) {
		k.inKey = !bytes.Contains(line, pemEnd)
		return true
	}
	if !k.inKey {
		return false
	}
	if bytes.Contains(line, pemEnd) {
		k.inKey = false
		return true
	}
	t := bytes.TrimSpace(line)
	if len(t) == 0 || bytes.HasPrefix(t, []byte("Proc-Type:")) || bytes.HasPrefix(t, []byte("DEK-Info:")) || isBase64(t) {
		return true
	}
	k.inKey = false
	return false
}

// CommandLines follows commands continued over lines through a text read line by line, as
// KeyLines follows keys: the arguments on a line that continues a command (curl -sS \, then
// -u user:pw \) are the command's, and String, given that line alone, does not see the
// command. It keeps the lines of the command so far that a rule may need: the first, and
// each that holds a literal of a rule that reads continued lines (a command's name, an
// option's) or what changes how the shell reads on (a quote, |, ; or &, a backslash
// inside). A line without any of these (-H x \, https://host/path \) is kept as a line
// holding only the continuation, one for a run of them: the rules read it as they read the
// line it stands for, blanks and a continuation. (Not in a command whose words a rule counts:
// htpasswd's, mc's; see rule.words.) So the text String reads again at each line stays short, where keeping
// every line made each line cost the whole command so far (quadratic: 32 KB of continued
// lines took seconds).
type CommandLines struct {
	head []byte
	// first is the length of head's first line; gap says that head ends with a line that
	// stands for left-out lines; words, that head holds a literal of a words rule, whose
	// match needs every line (none is left out then).
	first int
	gap   bool
	words bool
	// seen counts the bytes of the lines Redact was given (and their line breaks), rescanned
	// those of the joined texts it had String read again: see rescanFactor.
	seen, rescanned int
	// bounded counts the bytes of the joined texts read past the budget, with boundedHead's
	// head (for the tests: it grows with the lines, by at most maxBoundedHead and a gap a line).
	bounded int
}

// maxBoundedHead bounds the command words of the first line that boundedHead keeps.
const maxBoundedHead = 128

// boundedHead is the head CommandLines has String read with a continued line past the
// budget: the first line whole when it is at most maxBoundedHead bytes, or else its command
// words (up to the first word that is an option or holds a quote, |, ;, &, <, $, ( or ), at
// most maxBoundedHead bytes) and its continuation; then one left-out line (gapLine) for the
// lines after it. The command's name and the options on its first line's start are what
// the rules of a continued line need (curl for -u, docker login for -p); a value the
// first line's later options take is given up there, not read into the next line.
func (c *CommandLines) boundedHead() []byte {
	first := c.head[:c.first]
	var h []byte
	if len(first) <= maxBoundedHead {
		h = append(h, first...)
	} else {
		n := continuationAt(first)
		if n < 0 {
			return nil
		}
		end, start := 0, true
	scan:
		for i := 0; i < n && i < maxBoundedHead; i++ {
			switch b := first[i]; {
			case b == '\x1b':
				if j := colorEnd(first[:n], i); j > i {
					i = j - 1
				}
			case b == ' ' || b == '\t':
				end, start = i, true
				continue
			case start && b == '-', strings.IndexByte("\"'|;&<$()`", b) >= 0:
				break scan
			}
			start = false
		}
		if end == 0 {
			return nil
		}
		h = append(append(append(h, first[:end]...), ' '), first[n:]...)
	}
	if len(c.head) > c.first {
		h = append(h, "\n"+gapLine...)
	}
	return h
}

// rescanFactor and rescanAllowance bound what CommandLines has String read again: the
// joined text of a continued line is read only while the total, with it, stays within
// rescanFactor times the bytes seen so far plus rescanAllowance; past that, continued lines
// are left to String alone, as the lines of a command past maxCommand are. A log of
// continued lines that each hold a rule's literal (curl -sS `, over and over) had each of
// its lines cost the whole kept command, up to maxCommand: ~15 µs a byte, a minute for
// 4 MiB. In real logs the joined texts read again are at most 0.4 times the log (akka's
// LogChunks log; none of the 1,156 LogChunks, CiDiff, LogDetective and GitHub-issue logs
// reached the bound), so the bound changes nothing there.
const (
	rescanFactor    = 2
	rescanAllowance = 64 << 10
)

// maxCommand bounds the text of a continued command CommandLines keeps, and so what each
// line costs: past it, the kept lines but the first are replaced by one left-out line; a
// first line longer than that is not kept, and the lines after it are redacted alone.
const maxCommand = 1 << 10

// gapLine stands for continued lines left out of CommandLines' head.
const gapLine = "\\"

// Redact returns line with the secrets String finds in it when the lines before it that it
// continues are in view; a line that continues nothing comes back as it is, String's to
// redact. It must see every line, in order.
func (c *CommandLines) Redact(line []byte) []byte {
	out := line
	c.seen += len(line) + 1
	head := c.head
	if n := len(c.head) + 1 + len(line); len(c.head) > 0 && c.rescanned+n <= rescanFactor*c.seen+rescanAllowance {
		c.rescanned += n
	} else if len(c.head) > 0 && !c.words {
		// Past the budget, the head read is bounded: the first line's command words and one
		// line for the rest (boundedHead), so a line costs a constant more than itself.
		head = c.boundedHead()
		c.bounded += len(head) + 1 + len(line)
	} else {
		head = nil
	}
	if len(head) > 0 {
		joined := string(head) + "\n" + string(line)
		if red := String(joined); red != joined {
			// The line is what follows the head's line breaks; a redaction that took a line
			// break (a private key's) leaves the line to String alone.
			k := bytes.Count(head, []byte{'\n'}) + 1
			if strings.Count(red, "\n") == k+bytes.Count(line, []byte{'\n'}) {
				i := 0
				for ; k > 0; k-- {
					i += strings.IndexByte(red[i:], '\n') + 1
				}
				out = []byte(red[i:])
			}
		}
	}
	if !continues(line) {
		c.head, c.gap, c.words = c.head[:0], false, false
		// An echoed command that prints a secret on the line after it (+ vault kv get
		// -field=password …) is kept for that line: alone, the secret is a word like any.
		if echoedCommand(line) && len(line) < maxCommand && triggered(string(line))&nextLineRules != 0 {
			c.head, c.first = append(c.head, line...), len(line)
		}
		return out
	}
	t := triggered(string(line))
	switch {
	case len(c.head) == 0:
		if len(line)+1+len(gapLine) <= maxCommand {
			c.head, c.first, c.words = append(c.head, line...), len(line), t&wordRules != 0
		}
		return out
	case !c.words && plainLine(line) && t&continuedRules == 0:
		if !c.gap {
			c.head, c.gap = append(c.head, "\n"+gapLine...), true
		}
	case len(c.head)+1+len(line) > maxCommand:
		c.head, c.gap = append(c.head[:c.first], "\n"+gapLine...), true
	default:
		c.head, c.gap = append(append(c.head, '\n'), line...), false
	}
	c.words = c.words || t&wordRules != 0
	return out
}

// echoedCommand reports whether line is a command as xtrace ("+ ", "++ ") or GitLab ("$ ")
// echoes it: the only lines a secret-printing command's output can follow in a log, and a
// byte test that keeps the literal search off every other line.
func echoedCommand(line []byte) bool {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	j := i
	for j < len(line) && line[j] == '+' {
		j++
	}
	if j == i && j < len(line) && line[j] == '$' {
		j++
	}
	return j > i && j < len(line) && line[j] == ' '
}

// plainLine reports whether a continued line holds nothing that changes how a shell reads
// the lines after it: no quote, |, ;, &, < or >, and no backslash but the continuation's.
// Colors (whose ; is no separator) are skipped.
func plainLine(line []byte) bool {
	n := continuationAt(line)
	for i := 0; i < n; i++ {
		switch line[i] {
		case '\x1b':
			if j := colorEnd(line[:n], i); j > i {
				i = j - 1
			}
		case '"', '\'', '|', ';', '&', '<', '>', '\\', '`', '$', '(', ')':
			return false
		}
	}
	return true
}

var (
	pemBegin      = []byte("-----BEGIN")
	pemEnd        = []byte("-----END")
	pemPrivateKey = []byte("PRIVATE KEY-----")
)

func isBase64(t []byte) bool {
	for _, c := range t {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}
