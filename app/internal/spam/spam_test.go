package spam

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

func newTestChecker(t testing.TB) *Checker {
	t.Helper()
	c, err := New(DefaultConfig())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// readTexts splits a testdata file on "=====" lines and drops the header before the first.
func readTexts(t *testing.T, name string) []string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(data), "\n=====\n")
	var out []string
	for _, p := range parts[1:] {
		out = append(out, strings.TrimRight(p, "\n"))
	}
	return out
}

func TestLegitimateCorpusHasNoFalsePositives(t *testing.T) {
	texts := readTexts(t, "testdata/legit.txt")
	if len(texts) < 100 {
		t.Fatalf("testdata/legit.txt has %d texts; the issue asks for at least 100", len(texts))
	}
	// Every text under every kind, so a rule or model that comes to read the kind cannot
	// flag developer talk of one kind unnoticed. One Checker per kind, so the near-duplicate
	// ring does not see the same text twice.
	for _, kind := range []string{"", "issue", "pr", "comment", "commit", "other"} {
		c := newTestChecker(t)
		for i, text := range texts {
			resp, err := c.Check(Request{Kind: kind, Text: text})
			if err != nil {
				t.Fatalf("Check(legit #%d) error: %v", i+1, err)
			}
			if resp.Verdict != Allow {
				t.Errorf("Check(kind %q, legit #%d %q) verdict = %s (score %.2f, reasons %+v); want allow", kind, i+1, excerpt(text), resp.Verdict, resp.Score, resp.Reasons)
			}
			checkSpans(t, text, resp)
		}
	}
}

func TestScamCorpus(t *testing.T) {
	c := newTestChecker(t)
	severity := map[Verdict]int{Allow: 0, Flag: 1, Hide: 2, Block: 3}
	for i, entry := range readTexts(t, "testdata/scam.txt") {
		head, text, _ := strings.Cut(entry, "\n")
		fields := strings.Fields(strings.TrimPrefix(head, "want:"))
		if len(fields) != 2 {
			t.Fatalf("scam #%d: bad want line %q", i+1, head)
		}
		wantVerdict, wantCodes := Verdict(fields[0]), strings.Split(fields[1], ",")
		resp, err := c.Check(Request{Text: text})
		if err != nil {
			t.Fatalf("Check(scam #%d) error: %v", i+1, err)
		}
		checkSpans(t, text, resp)
		if severity[resp.Verdict] < severity[wantVerdict] {
			t.Errorf("Check(scam #%d %q) verdict = %s (score %.2f, reasons %+v); want at least %s", i+1, excerpt(text), resp.Verdict, resp.Score, resp.Reasons, wantVerdict)
		}
		for _, code := range wantCodes {
			if !hasCode(resp, code) {
				t.Errorf("Check(scam #%d %q) reasons = %+v; want one with code %s", i+1, excerpt(text), resp.Reasons, code)
			}
		}
	}
}

func hasCode(resp Response, code string) bool {
	for _, r := range resp.Reasons {
		if r.Code == code {
			return true
		}
	}
	return false
}

func excerpt(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// checkSpans: every span is a valid half-open byte range into the submitted text, and every
// code is in the API's vocabulary.
func checkSpans(t *testing.T, text string, resp Response) {
	t.Helper()
	known := map[string]bool{}
	for _, c := range ReasonCodes {
		known[c] = true
	}
	seen := map[string]bool{}
	for _, r := range resp.Reasons {
		if !known[r.Code] {
			t.Errorf("reason code %q is not in the API vocabulary", r.Code)
		}
		if seen[r.Code] {
			t.Errorf("reason code %q given twice for %q: one reason per code", r.Code, excerpt(text))
		}
		seen[r.Code] = true
		if r.Span[0] < 0 || r.Span[0] > r.Span[1] || r.Span[1] > len(text) {
			t.Errorf("reason %s span %v is outside [0,%d] for %q", r.Code, r.Span, len(text), excerpt(text))
		}
	}
	if resp.Score < 0 || resp.Score > 1 {
		t.Errorf("score %v is outside [0,1]", resp.Score)
	}
}

func TestSpansPointAtEvidence(t *testing.T) {
	c := newTestChecker(t)
	tests := []struct {
		name, text, code, want string
	}{
		{"phishing url", "see https://verifymetamask.io/login now", CodePhishingURL, "https://verifymetamask.io/login"},
		{"url after zero-width", "a\u200b b https://bit.ly/abc", CodeURLShortener, "https://bit.ly/abc"},
		{"fullwidth shortener", "go to ｂｉｔ．ｌｙ/abc", CodeURLShortener, "ｂｉｔ．ｌｙ/abc"},
		{"eth address", "send 1 ETH to 0x742d35Cc6634C0532925a3b844Bc454e4438f44e now", CodeWalletAddress, "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"},
		{"seed request", "Please enter your seed phrase at https://x.example", CodeSeedPhraseRequest, "enter your seed phrase"},
		{"mixed script", "Verify your mеtamask", CodeObfuscation, "mеtamask"},
		{"self-promotion", "nice lib! subscribe to my channel for more", CodePromotional, "subscribe to my channel"},
		{"premium short code", "You won a prize! Text WIN to 87121 to claim", CodePromotional, "Text WIN to 87121"},
		{"national-rate number", "urgent msg waiting, call 08712402972 now", CodePromotional, "call 08712402972"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.Check(Request{Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range resp.Reasons {
				if r.Code == tc.code {
					if got := tc.text[r.Span[0]:r.Span[1]]; got != tc.want {
						t.Errorf("Check(%q) %s span = %q; want %q", tc.text, tc.code, got, tc.want)
					}
					return
				}
			}
			t.Errorf("Check(%q) reasons = %+v; want code %s", tc.text, resp.Reasons, tc.code)
		})
	}
}

func TestModelReasonAlwaysPresent(t *testing.T) {
	c := newTestChecker(t)
	for _, text := range []string{"", "LGTM", "hello world"} {
		resp, err := c.Check(Request{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Verdict != Allow || !hasCode(resp, CodeModel) {
			t.Errorf("Check(%q) = %s %+v; want allow with a model reason", text, resp.Verdict, resp.Reasons)
		}
	}
}

func TestBadInput(t *testing.T) {
	c := newTestChecker(t)
	t.Run("too large", func(t *testing.T) {
		_, err := c.Check(Request{Text: strings.Repeat("a", 10<<20)})
		if !errors.Is(err, ErrTextTooLarge) {
			t.Errorf("Check(10 MB) error = %v; want ErrTextTooLarge", err)
		}
	})
	cases := map[string]string{
		"invalid utf-8":   "hello \xff\xfe world \xc3",
		"largest allowed": strings.Repeat("word https://example.org/x ", MaxTextBytes/27),
		"100k mentions":   strings.Repeat("@user ", 100_000)[:MaxTextBytes/2],
		"only invisibles": strings.Repeat("\u200b\u202e", 1000),
		"nul bytes":       strings.Repeat("\x00", 5000),
		"one long word":   strings.Repeat("x", MaxTextBytes),
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			resp, err := c.Check(Request{Text: text})
			if err != nil {
				t.Fatalf("Check(%s) error: %v", name, err)
			}
			checkSpans(t, text, resp)
		})
	}
	t.Run("mass mentions are reported", func(t *testing.T) {
		var b strings.Builder
		for i := 0; i < 100_000; i++ {
			fmt.Fprintf(&b, "@u%x ", i)
		}
		text := b.String()
		resp, err := c.Check(Request{Text: text})
		if err != nil {
			t.Fatalf("Check(100k mentions, %d bytes) error: %v", len(text), err)
		}
		if !hasCode(resp, CodeMassMentions) {
			t.Errorf("Check(many mentions) reasons = %+v; want mass_mentions", resp.Reasons)
		}
	})
}

func TestNearDuplicate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HistorySize = 8
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base := "Check the new release notes for version two of the parser, it fixes the crash on empty files and speeds up large inputs"
	if resp, _ := c.Check(Request{Text: base}); hasCode(resp, CodeNearDuplicate) {
		t.Fatalf("first text already a near duplicate: %+v", resp.Reasons)
	}
	resp, _ := c.Check(Request{Text: base + "!"})
	if !hasCode(resp, CodeNearDuplicate) {
		t.Errorf("Check(repeat) reasons = %+v; want near_duplicate", resp.Reasons)
	}
	// The ring forgets: after HistorySize other texts the first one is gone.
	for i := 0; i < 8; i++ {
		if _, err := c.Check(Request{Text: strings.Repeat("filler text number ", 5) + strings.Repeat("z", i+1) + " distinct tail words here to be long enough"}); err != nil {
			t.Fatal(err)
		}
	}
	if resp, _ := c.Check(Request{Text: base + "?"}); hasCode(resp, CodeNearDuplicate) {
		t.Errorf("Check(after eviction) still near_duplicate: %+v", resp.Reasons)
	}
}

// Fingerprints handed out by one Checker and remembered by another make the second see the
// first's texts as near duplicates: how replicas share the memory (package dupshare).
func TestSharedFingerprints(t *testing.T) {
	text := "Check the new release notes for version two of the parser, it fixes the crash on empty files and speeds up large inputs"
	a, b := newTestChecker(t), newTestChecker(t)
	var published []uint64
	a.ShareFingerprints(func(fp uint64) { published = append(published, fp) })
	for _, s := range []string{"too short to fingerprint", text} {
		if _, err := a.Check(Request{Text: s}); err != nil {
			t.Fatal(err)
		}
	}
	if len(published) != 1 {
		t.Fatalf("published %d fingerprints; want 1 (short texts are not remembered)", len(published))
	}
	if resp, _ := b.Check(Request{Text: "Something else entirely, long enough to be remembered by the ring of recent texts here"}); hasCode(resp, CodeNearDuplicate) {
		t.Fatalf("unrelated text is a near duplicate: %+v", resp.Reasons)
	}
	b.RememberFingerprints(published...)
	if resp, _ := b.Check(Request{Text: text}); !hasCode(resp, CodeNearDuplicate) {
		t.Errorf("after remembering a's fingerprint, b's reasons = %+v; want near_duplicate", resp.Reasons)
	}

	cfg := DefaultConfig()
	cfg.HistorySize = 0
	off, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	off.ShareFingerprints(func(uint64) { t.Error("a Checker with the memory off published a fingerprint") })
	off.RememberFingerprints(published...)
	if resp, _ := off.Check(Request{Text: text}); hasCode(resp, CodeNearDuplicate) {
		t.Errorf("memory off, yet near_duplicate: %+v", resp.Reasons)
	}
}

func TestNewAccountWithLinks(t *testing.T) {
	c := newTestChecker(t)
	age, prior := 0, 0
	req := Request{Text: "nice project, see mine at https://my-tool.example-site.net", Author: &Author{Login: "x", AccountAgeDays: &age, PriorContributions: &prior}}
	resp, _ := c.Check(req)
	if !hasCode(resp, CodeNewAccount) {
		t.Errorf("Check(new account with link) reasons = %+v; want new_account", resp.Reasons)
	}
	old := 900
	req.Author.AccountAgeDays = &old
	if resp, _ := c.Check(req); hasCode(resp, CodeNewAccount) {
		t.Errorf("Check(old account with link) reasons = %+v; want no new_account", resp.Reasons)
	}
}

func TestConfigThresholds(t *testing.T) {
	cfg, err := ParseConfig([]byte("thresholds:\n  flag: 0.01\n  hide: 0.02\n  block: 0.03\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := c.Check(Request{Text: "Free entry to win a prize, txt WIN to 80086 now!"})
	if resp.Verdict != Block {
		t.Errorf("with block at 0.03, verdict = %s (score %.2f); want block", resp.Verdict, resp.Score)
	}
	for _, bad := range []string{"thresholds:\n  flag: 0.9\n  hide: 0.5\n", "thresholds:\n  flg: 0.5\n", "history_size: -1\n", "thresholds: [1]\n"} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("ParseConfig(%q) = nil error; want an error", bad)
		}
	}
	if cfg, err := ParseConfig(nil); err != nil || cfg != DefaultConfig() {
		t.Errorf("ParseConfig(empty) = %+v, %v; want the defaults", cfg, err)
	}
}

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{"minimal", `{"text":"hi"}`, ""},
		{"full", `{"kind":"comment","text":"hi","author":{"login":"a","account_age_days":3,"prior_contributions":0},"context":{"repo":"o/r"}}`, ""},
		{"empty text is allowed", `{"text":""}`, ""},
		{"missing text", `{"kind":"issue"}`, `"text" is required`},
		{"text wrong type", `{"text":5}`, `field "text" must be a string, got a number`},
		{"age wrong type", `{"text":"x","author":{"account_age_days":"new"}}`, `field "author.account_age_days" must be a whole number, got a string`},
		{"age in exponent form", `{"text":"x","author":{"account_age_days":1e3}}`, `must be a whole number in plain digits`},
		{"negative age", `{"text":"x","author":{"account_age_days":-1}}`, "must not be negative"},
		{"unknown field", `{"text":"x","txt":"y"}`, `unknown field "txt"`},
		{"unknown nested field", `{"text":"x","context":{"pr":1}}`, `unknown field "context.pr"`},
		{"bad kind", `{"text":"x","kind":"tweet"}`, `"kind" must be one of`},
		{"not an object", `["text"]`, "must be a JSON object"},
		{"syntax", `{"text":`, "invalid JSON"},
		{"trailing data", `{"text":"a"} {"text":"b"}`, "more than one value"},
		{"a stray closing brace", `{"text":"a"} }`, "more than one value"},
		{"empty", ``, "empty request body"},
		{"login too long", `{"text":"x","author":{"login":"` + strings.Repeat("a", MaxFieldBytes+1) + `"}}`, `field "author.login" is 513 bytes`},
		{"repo too long", `{"text":"x","context":{"repo":"` + strings.Repeat("a", MaxFieldBytes+1) + `"}}`, `field "context.repo" is 513 bytes`},
		// Decoded, an invalid byte would become U+FFFD and shift every span after it.
		{"invalid UTF-8", "{\"text\":\"\xff\xfe seed\"}", "not valid UTF-8 (invalid byte at 9)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRequest([]byte(tc.body))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("ParseRequest(%s) error = %v; want nil", tc.body, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("ParseRequest(%s) error = %v; want one containing %q", tc.body, err, tc.wantErr)
			}
		})
	}
}

func TestModelRoundTrip(t *testing.T) {
	samples := []Sample{
		{"win a free prize now call 09061701461", true}, {"are we still on for lunch tomorrow", false},
		{"urgent claim your cash reward txt yes", true}, {"the build is green again, merging", false},
	}
	m := Train(samples, TrainOptions{Bits: 12, Epochs: 20})
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := LoadModel(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		p1, p2 := m.Prob(s.Text), back.Prob(s.Text)
		if (p1 >= 0.5) != s.Spam || (p2 >= 0.5) != s.Spam {
			t.Errorf("Prob(%q) = %.3f trained, %.3f reloaded; want spam=%v", s.Text, p1, p2, s.Spam)
		}
	}
	if _, err := LoadModel(strings.NewReader("not gzip")); err == nil {
		t.Error("LoadModel(garbage) = nil error; want an error")
	}
}

// TestEvaluateOnFixtures runs the whole evaluation path (loaders, de-duplication, split,
// metrics, report) on tiny copies of the three corpora's formats in testdata/corpora.
func TestEvaluateOnFixtures(t *testing.T) {
	c := newTestChecker(t)
	paths := DefaultCorpusPaths("testdata/corpora", "")
	if paths.SpamAssassin == "" {
		t.Fatal("DefaultCorpusPaths did not find testdata/corpora/spam/spamassassin")
	}
	rep, err := Evaluate(c, paths)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Corpora) != 3 || len(rep.Missing) != 0 {
		t.Fatalf("Evaluate found %d corpora, missing %v; want 3, none missing", len(rep.Corpora), rep.Missing)
	}
	want := map[string]struct{ total, dups int }{CorpusSMS: {15, 1}, CorpusYouTube: {6, 0}, CorpusSpamAssassin: {5, 0}}
	for _, r := range rep.Corpora {
		w := want[r.Name]
		if r.Train+r.Test != w.total || r.Duplicates != w.dups || r.Test == 0 {
			t.Errorf("%s: train %d + test %d, %d duplicates; want %d texts, %d duplicates, a non-empty test split", r.Name, r.Train, r.Test, r.Duplicates, w.total, w.dups)
		}
	}
	var out bytes.Buffer
	if err := PrintReport(&out, rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"sms", "youtube", "spamassassin", "99.16%", "95.33%", "97.80%"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("PrintReport output lacks %q:\n%s", s, out.String())
		}
	}
	// Missing corpora are reported, not errors: the data sets live outside the repository.
	rep, err = Evaluate(c, DefaultCorpusPaths(t.TempDir(), ""))
	if err != nil || len(rep.Missing) != 3 {
		t.Errorf("Evaluate(empty dir) = %+v, %v; want three missing corpora and no error", rep, err)
	}
}

func TestEmailText(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"plain", "Subject: hi\n\nbody here", "hi\n\nbody here"},
		{"quoted-printable", "Subject: qp\nContent-Transfer-Encoding: quoted-printable\n\nsoft=\nbreak caf=C3=A9", "qp\n\nsoftbreak café"},
		{"html", "Subject: h\nContent-Type: text/html\n\n<p>a&amp;b</p><script>x()</script>", "h\n\na&b"},
		{"multipart", "Subject: m\nContent-Type: multipart/alternative; boundary=XX\n\n--XX\nContent-Type: text/plain\n\none\n--XX\nContent-Type: image/png\n\nPNG\n--XX--\n", "m\n\none"},
		{"not a message", "no headers at all", "no headers at all"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := EmailText(tc.raw); got != tc.want {
				t.Errorf("EmailText(%q) = %q; want %q", tc.raw, got, tc.want)
			}
		})
	}
}

// TestConcurrentChecks: one Checker serves many requests at once (the HTTP server shares it);
// run with -race to check the near-duplicate ring's locking.
func TestConcurrentChecks(t *testing.T) {
	c := newTestChecker(t)
	texts := readTexts(t, "testdata/legit.txt")
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, text := range texts {
				if _, err := c.Check(Request{Text: text}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

// TestIssueRef: "#123" reads as software work; HTML character references (YouTube comments
// arrive with "&#39;") and hex colours in e-mail style sheets do not.
// TestDotfilesAreNotLinks: a dotfile whose name ends like a TLD (".env.example", ".env.local")
// was read as a link, so a developer's "copy `.env.example` to `.env` and enter your test
// mnemonic" was a seed-phrase request pointing somewhere: blocked at 0.96.
func TestDotfilesAreNotLinks(t *testing.T) {
	for _, tc := range []struct {
		text  string
		hosts []string
	}{
		{"copy `.env.example` to `.env`", nil},
		{"set it in config/.env.local and restart", nil},
		{".env.example", nil},
		{"see example.com and docs.example.org/x", []string{"example.com", "docs.example.org"}},
		{"mail admin@example.com", []string{"example.com"}},
	} {
		var hosts []string
		for _, l := range extractLinks(tc.text) {
			hosts = append(hosts, l.host)
		}
		if !slices.Equal(hosts, tc.hosts) {
			t.Errorf("extractLinks(%q) hosts %q, want %q", tc.text, hosts, tc.hosts)
		}
	}
}

func TestIssueRef(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"#123", true},
		{"see #77.", true},
		{"(#4)", true},
		{"i&#39;m", false},
		{"color: #0033ff", false},
		{`<font color="#000000">`, false}, // an all-digit colour in HTML mail
		{"background:#333333;", false},
		{"fixed in #120000, see also [#7]", true},
		{"abc#12", false},
		{"#", false},
		{"# 12", false},
	} {
		got := false
		for i := range tc.text {
			got = got || isIssueRef(tc.text, i)
		}
		if got != tc.want {
			t.Errorf("issue reference in %q = %v; want %v", tc.text, got, tc.want)
		}
	}
}

func TestComboSquat(t *testing.T) {
	for _, tc := range []struct {
		host        string
		brand, lure string
		money       bool
	}{
		{"metamask-support-desk.com", "metamask", "support", true},
		{"secure.coinbase-verify.net", "coinbase", "secure", true},
		{"binancewallet-claim.app", "binance", "wallet", true},
		{"supportmetamask.io", "metamask", "support", true},
		{"github.com.login-verify.net", "github", "login", false},
		{"githubsignin.com", "github", "signin", false},
		{"ledger-recovery.live", "ledger", "recovery", true},
		// A narrow lure first does not hide a strong one after it.
		{"github-security-alert.com", "github", "alert", false},
		{"github-security-login.com", "github", "login", false},
		// A brand alone, or beside a word real tools use, is not a lure.
		{"uniswap-analytics.xyz", "", "", false},
		{"github-readme-stats.vercel.app", "", "", false},
		{"github-security-scanner.dev", "", "", false},
		{"general-ledger-service.com", "", "", false},
		{"phantom-security.com", "", "", false},
		{"gitlab-mirror-status.example", "", "", false},
		{"pineapplesupport.com", "", "", false},
		{"metamaskfan.com", "", "", false},
		{"example.com", "", "", false},
	} {
		brand, lure, money := comboSquat(tc.host)
		if brand != tc.brand || lure != tc.lure || money != tc.money {
			t.Errorf("comboSquat(%q) = %q, %q, %v; want %q, %q, %v", tc.host, brand, lure, money, tc.brand, tc.lure, tc.money)
		}
	}
}

func TestFreeMailImpostor(t *testing.T) {
	for _, tc := range []struct {
		addr        string
		brand, lure string
	}{
		{"metamask.support.desk@gmail.com", "metamask", "support"},
		{"coinbase_recovery247@outlook.com", "coinbase", "recovery"},
		{"mailto:Binance+Help@proton.me", "binance", "help"},
		{"github.login.verify@yahoo.com", "github", "login"},
		// Not a brand beside a lure, or not a free mail service: the brand's own desk.
		{"john.support@gmail.com", "", ""},
		{"github.help.me@gmail.com", "", ""}, // a narrow lure beside a developer platform
		{"support@metamask.io", "", ""},
		{"metamask-support@company.example", "", ""},
	} {
		l, ok := parseLink(tc.addr)
		if !ok || !l.email {
			t.Fatalf("parseLink(%q) = %+v, %v; want an e-mail address", tc.addr, l, ok)
		}
		if brand, lure, _ := freeMailImpostor(l); brand != tc.brand || lure != tc.lure {
			t.Errorf("freeMailImpostor(%q) = %q, %q; want %q, %q", tc.addr, brand, lure, tc.brand, tc.lure)
		}
	}
}

// An offer of work with a chat handle or number is firm promotion; a handle alone is weak,
// and "ping me on Discord" or a community group link is nothing.
func TestOffPlatformContact(t *testing.T) {
	c := newTestChecker(t)
	for _, tc := range []struct {
		text string
		min  float64 // the promotional reason's weight is at least this; 0: no such reason
	}{
		{"I can fix this bug for you, contact me on Telegram @quickfix_dev", 0.7},
		{"Available for hire, message me on WhatsApp: +1 (415) 555-0198", 0.7},
		{"I can help you with this, DM me on telegram https://t.me/quickfix_dev", 0.7},
		{"Contact me on Telegram @quickfix_dev", 0.01},
		{"Ping me on Discord if you want to pair on it.", 0},
		{"Our Telegram group: https://t.me/+project_users", 0},
		{"I can fix it tonight, find me on Signal.", 0},
	} {
		resp, err := c.Check(Request{Text: tc.text})
		if err != nil {
			t.Fatal(err)
		}
		var got float64
		for _, r := range resp.Reasons {
			if r.Code == CodePromotional {
				got = r.Weight
			}
		}
		if tc.min == 0 && got > 0 || tc.min > 0 && got < tc.min {
			t.Errorf("Check(%q): promotional weight %.2f; want %s", tc.text, got, map[bool]string{true: "none", false: fmt.Sprintf(">= %.2f", tc.min)}[tc.min == 0])
		}
	}
}

func TestLoadDeveloperProse(t *testing.T) {
	got, err := LoadDeveloperProse("testdata/goprose/src", 2)
	if err != nil {
		t.Fatal(err)
	}
	// Three blocks, in sorted file order (net/dial.go, then os/file.go, whose last block ends
	// the file), taken evenly: the licence header, the short block, the directive, testdata
	// and vendor are not prose.
	want := []string{
		"Dial connects to the address on the named network and returns the connection it made, or an error when no address answered in time.",
		"Open opens the named file for reading; the returned file can be used to read from it, and the caller must close it when done.",
	}
	if len(got) != len(want) {
		t.Fatalf("LoadDeveloperProse = %d samples; want %d", len(got), len(want))
	}
	for i, s := range got {
		if s.Text != want[i] || s.Spam {
			t.Errorf("sample %d = %q (spam %v); want legitimate %q", i, s.Text, s.Spam, want[i])
		}
	}
	if _, err := LoadDeveloperProse("testdata/goprose/src", 4); err == nil || !strings.Contains(err.Error(), "3 comment blocks") {
		t.Errorf("asking for more blocks than there are: err %v; want one naming the 3 found", err)
	}
	if _, err := LoadDeveloperProse("testdata/goprose/src", 0); err == nil {
		t.Error("asking for no blocks gave no error")
	}
	if _, err := LoadDeveloperProse("testdata/no-such-dir", 1); err == nil {
		t.Error("a missing source tree gave no error")
	}
}

// Numbers inside links and "support" inside an address are not a support number beside
// support wording: a Dependabot PR's compare URL and its sign-off.
func TestSupportNumberIgnoresLinksAndAddresses(t *testing.T) {
	c, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"- [Commits](https://github.com/lodash/lodash/compare/4.17.15...4.17.19)\n\nSigned-off-by: dependabot[bot] <support@github.com>", false},
		{"Coinbase support helpline: call +1 (888) 908-7930 now to unlock your account", true},
	} {
		resp, err := c.Check(Request{Text: tc.text})
		if err != nil {
			t.Fatal(err)
		}
		if got := hasCode(resp, CodeFakeSupportNumber); got != tc.want {
			t.Errorf("fake_support_number on %q = %v; want %v (%+v)", tc.text, got, tc.want, resp.Reasons)
		}
	}
}
