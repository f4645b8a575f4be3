package api

import (
	"context"
	"encoding/json"

	"github.com/ci-agent/ci-agent/app/internal/answercache"
	"github.com/ci-agent/ci-agent/app/internal/cifailure"
	"github.com/ci-agent/ci-agent/app/internal/logthrottle"
)

// maxCachedLog is the largest log whose answer is cached: most CI logs are smaller, and a
// larger one is better streamed than held in memory to be hashed.
const maxCachedLog = 1 << 20

// AnswerCache keeps answers by input hash. *answercache.Cache (Redis) is the production one.
type AnswerCache interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, value []byte) error
}

var _ AnswerCache = (*answercache.Cache)(nil)

// WithAnswerCache serves repeated CI logs from c. Every answer still gets its own id and is
// recorded, and a cache failure only costs the lookup.
func WithAnswerCache(c AnswerCache) Option { return func(s *Server) { s.cache = c } }

// cachedAnswer is what is cached: the answer and the score features the JSON leaves out,
// which the ranking and the logging pipeline need.
type cachedAnswer struct {
	Answer   *cifailure.Answer    `json:"answer"`
	Features []cifailure.Features `json:"features"`
}

func (s *Server) cachedExplain(ctx context.Context, key string) *cifailure.Answer {
	data, ok, err := s.cache.Get(ctx, key)
	if err != nil {
		s.cacheFailed(&s.cacheLookups, "answer cache lookup", err)
		return nil
	}
	s.cacheLookups.Succeeded(s.logger, "answer cache lookup")
	var c cachedAnswer
	if !ok || json.Unmarshal(data, &c) != nil || c.Answer == nil || len(c.Features) != len(c.Answer.Propositions) {
		s.metrics.cache.WithLabelValues("miss").Inc()
		return nil
	}
	for i := range c.Answer.Propositions {
		c.Answer.Propositions[i].Features = c.Features[i]
	}
	s.metrics.cache.WithLabelValues("hit").Inc()
	return c.Answer
}

func (s *Server) cacheExplain(ctx context.Context, key string, ans *cifailure.Answer) {
	c := cachedAnswer{Answer: ans, Features: make([]cifailure.Features, len(ans.Propositions))}
	for i, p := range ans.Propositions {
		c.Features[i] = p.Features
	}
	data, err := json.Marshal(c)
	if err == nil {
		err = s.cache.Set(ctx, key, data)
	}
	if err != nil {
		s.cacheFailed(&s.cacheStores, "answer cache store", err)
		return
	}
	s.cacheStores.Succeeded(s.logger, "answer cache store")
}

// cacheFailed counts a cache failure, and logs it through the operation's throttle: with
// Redis away every request fails twice, and a warning each time would bury the log.
func (s *Server) cacheFailed(log *logthrottle.Throttle, what string, err error) {
	s.metrics.cache.WithLabelValues("error").Inc()
	log.Failed(s.logger, what, err)
}
