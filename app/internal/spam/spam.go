// Package spam is the Spam/Scam Proposer: given a piece of user content (an issue, a pull
// request, a comment) and what is known of its author, it answers how likely the content is
// spam or a scam, why, and what to do with it.
//
// The answer combines weighted rules, each of which names its reason and the bytes that
// triggered it (the rspamd model), with a hashed-n-gram logistic regression trained on public
// corpora. The package does no I/O beyond reading its embedded model and lists.
package spam

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ci-agent/ci-agent/app/internal/jsonbody"
)

// Request is one piece of content to check. Only Text is required.
type Request struct {
	Kind    string   `json:"kind,omitempty"` // issue, pr, comment, commit or other
	Text    string   `json:"text"`
	Author  *Author  `json:"author,omitempty"`
	Context *Context `json:"context,omitempty"`
}

// Author is what the platform knows about who wrote the text. Nil fields are unknown.
type Author struct {
	Login              string `json:"login,omitempty"`
	AccountAgeDays     *int   `json:"account_age_days,omitempty"`
	PriorContributions *int   `json:"prior_contributions,omitempty"`
}

// Context says where the text was posted.
type Context struct {
	Repo string `json:"repo,omitempty"`
}

// Verdict is the action the proposer recommends.
type Verdict string

// The verdicts, from harmless to certain.
const (
	Allow Verdict = "allow"
	Flag  Verdict = "flag"
	Hide  Verdict = "hide"
	Block Verdict = "block"
)

// Response is the proposer's answer. ID is left empty for the caller (HTTP or CLI) to fill.
type Response struct {
	ID      string   `json:"id"`
	Verdict Verdict  `json:"verdict"`
	Score   float64  `json:"score"`
	Reasons []Reason `json:"reasons"`
	TookMS  float64  `json:"took_ms"`
	// RankerVersion names the learned ranking model that ordered the reasons ("" when the
	// proposer's own weights did). Set by the API layer.
	RankerVersion string `json:"ranker_version"`
}

// Reason is one piece of evidence. Span is a half-open byte range into the submitted text.
type Reason struct {
	Code   string  `json:"code"`
	Detail string  `json:"detail"`
	Span   [2]int  `json:"span"`
	Weight float64 `json:"-"` // this reason's own spam probability, combined by noisy-OR
	// firm marks evidence precise enough that the model's confidence in the text does not
	// damp it, although its code is one of the soft ones (self-promotion is "promotional").
	firm bool
}

// Reason codes. This vocabulary is part of the API.
const (
	CodePhishingURL       = "phishing_url"
	CodeLookalikeDomain   = "lookalike_domain"
	CodeCryptoScam        = "crypto_scam"
	CodeWalletAddress     = "wallet_address"
	CodeFakeSupportNumber = "fake_support_number"
	CodeSeedPhraseRequest = "seed_phrase_request"
	CodeAirdropGiveaway   = "airdrop_giveaway"
	CodeSEOLinkSpam       = "seo_link_spam"
	CodeURLShortener      = "url_shortener"
	CodeMalwareDownload   = "malware_download"
	CodeMassMentions      = "mass_mentions"
	CodeObfuscation       = "obfuscation"
	CodePromotional       = "promotional"
	CodeAdult             = "adult"
	CodeNewAccount        = "new_account"
	CodeNearDuplicate     = "near_duplicate"
	CodeModel             = "model"
)

// ReasonCodes lists every code the proposer can return, in the API's order.
var ReasonCodes = []string{
	CodePhishingURL, CodeLookalikeDomain, CodeCryptoScam, CodeWalletAddress, CodeFakeSupportNumber,
	CodeSeedPhraseRequest, CodeAirdropGiveaway, CodeSEOLinkSpam, CodeURLShortener, CodeMalwareDownload,
	CodeMassMentions, CodeObfuscation, CodePromotional, CodeAdult, CodeNewAccount, CodeNearDuplicate,
	CodeModel,
}

// Thresholds turn a score into a verdict: score >= Block blocks, and so on down.
type Thresholds struct {
	Flag  float64 `json:"flag" yaml:"flag"`
	Hide  float64 `json:"hide" yaml:"hide"`
	Block float64 `json:"block" yaml:"block"`
}

// Config is the proposer's configuration; DefaultConfig gives the defaults.
type Config struct {
	Thresholds Thresholds `json:"thresholds" yaml:"thresholds"`
	// HistorySize is how many recent texts the near-duplicate check remembers (0 disables it).
	HistorySize int `json:"history_size" yaml:"history_size"`
}

// DefaultConfig is flag at 0.5, hide at 0.8, block at 0.95, and 4096 remembered texts.
func DefaultConfig() Config {
	return Config{Thresholds: Thresholds{Flag: 0.5, Hide: 0.8, Block: 0.95}, HistorySize: 4096}
}

// ParseConfig reads a YAML (or JSON) config file over the defaults, so a file may set only
// what it changes. Unknown keys are errors: a misspelt threshold must not pass silently.
func ParseConfig(data []byte) (Config, error) {
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("parsing spam config: %w", err)
	}
	return cfg, cfg.Validate()
}

// Validate checks that 0 < flag <= hide <= block <= 1.
func (c Config) Validate() error {
	t := c.Thresholds
	if !(0 < t.Flag && t.Flag <= t.Hide && t.Hide <= t.Block && t.Block <= 1) {
		return fmt.Errorf("spam thresholds must satisfy 0 < flag <= hide <= block <= 1, got flag=%v hide=%v block=%v", t.Flag, t.Hide, t.Block)
	}
	if c.HistorySize < 0 || c.HistorySize > 1<<20 {
		return fmt.Errorf("spam history_size must be between 0 and %d, got %d", 1<<20, c.HistorySize)
	}
	return nil
}

// MaxTextBytes is the largest text the proposer scores. Content platforms cap comments far
// below this (GitHub at 65,536 characters); longer input is an error, not a slow answer.
const MaxTextBytes = 1 << 20

// ErrTextTooLarge is returned for texts over MaxTextBytes.
var ErrTextTooLarge = fmt.Errorf("text is larger than %d bytes", MaxTextBytes)

// Checker scores texts. It is safe for concurrent use.
type Checker struct {
	cfg     Config
	model   *Model
	domains *domainLists
	history *history
}

// New builds a Checker with the embedded model and domain lists.
func New(cfg Config) (*Checker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := LoadModel(bytes.NewReader(embeddedModel))
	if err != nil {
		return nil, fmt.Errorf("loading the embedded spam model: %w", err)
	}
	return NewWithModel(cfg, m)
}

// NewWithModel builds a Checker around a given model (training and tests use it).
func NewWithModel(cfg Config, m *Model) (*Checker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d, err := loadDomainLists()
	if err != nil {
		return nil, err
	}
	return &Checker{cfg: cfg, model: m, domains: d, history: newHistory(cfg.HistorySize)}, nil
}

// Config returns the configuration the Checker runs with.
func (c *Checker) Config() Config { return c.cfg }

// Check scores one request. The only error is ErrTextTooLarge.
func (c *Checker) Check(req Request) (Response, error) {
	start := time.Now()
	if len(req.Text) > MaxTextBytes {
		return Response{}, ErrTextTooLarge
	}
	reasons := c.reasons(req, c.history)
	resp := c.respond(reasons)
	resp.TookMS = math.Round(float64(time.Since(start).Microseconds())) / 1000
	return resp, nil
}

func (c *Checker) respond(reasons []Reason) Response {
	// Noisy-OR: each reason is independent evidence with its own probability, so two weak
	// reasons add up and no number of weak ones reaches certainty.
	keep := 1.0
	for _, r := range reasons {
		keep *= 1 - r.Weight
	}
	score := math.Round((1-keep)*10000) / 10000
	sort.SliceStable(reasons, func(i, j int) bool { return reasons[i].Weight > reasons[j].Weight })
	return Response{Verdict: c.verdict(score), Score: score, Reasons: reasons}
}

func (c *Checker) verdict(score float64) Verdict {
	t := c.cfg.Thresholds
	switch {
	case score >= t.Block:
		return Block
	case score >= t.Hide:
		return Hide
	case score >= t.Flag:
		return Flag
	}
	return Allow
}

// ParseRequest decodes one JSON request strictly: unknown fields, wrong types, trailing data
// and a missing "text" are errors whose message names the field.
func ParseRequest(data []byte) (Request, error) {
	var raw struct {
		Kind    string   `json:"kind"`
		Text    *string  `json:"text"`
		Author  *Author  `json:"author"`
		Context *Context `json:"context"`
	}
	// jsonbody refuses invalid UTF-8 (encoding/json would turn each bad byte into U+FFFD, and
	// the spans would index a text the caller never sent), unknown fields and trailing data.
	if err := jsonbody.Decode(data, &raw); err != nil {
		return Request{}, err
	}
	if raw.Text == nil {
		return Request{}, errors.New(`field "text" is required`)
	}
	switch raw.Kind {
	case "", "issue", "pr", "comment", "commit", "other":
	default:
		return Request{}, fmt.Errorf(`field "kind" must be one of issue, pr, comment, commit, other; got %q`, raw.Kind)
	}
	if raw.Author != nil {
		if a := raw.Author.AccountAgeDays; a != nil && *a < 0 {
			return Request{}, errors.New(`field "author.account_age_days" must not be negative`)
		}
		if p := raw.Author.PriorContributions; p != nil && *p < 0 {
			return Request{}, errors.New(`field "author.prior_contributions" must not be negative`)
		}
	}
	// The login and the repository are stored with every answer, outside the text's cap.
	for field, v := range map[string]*string{"author.login": loginOf(raw.Author), "context.repo": repoOf(raw.Context)} {
		if v != nil && len(*v) > MaxFieldBytes {
			return Request{}, fmt.Errorf("field %q is %d bytes; at most %d", field, len(*v), MaxFieldBytes)
		}
	}
	return Request{Kind: raw.Kind, Text: *raw.Text, Author: raw.Author, Context: raw.Context}, nil
}

// MaxFieldBytes caps a request's author login and repository.
const MaxFieldBytes = 512

func loginOf(a *Author) *string {
	if a == nil {
		return nil
	}
	return &a.Login
}

func repoOf(c *Context) *string {
	if c == nil {
		return nil
	}
	return &c.Repo
}
