package spam

import (
	"fmt"
	"math/bits"
	"sync"
)

// history remembers the SimHash of the last N texts so that the same message pasted by many
// accounts (or many times by one) is noticed. It is a fixed ring: memory is bounded and a
// lookup is N popcounts, about 2 µs for the default 4096.
type history struct {
	mu    sync.Mutex
	ring  []uint64
	next  int
	count int
	// share, when set, gets every fingerprint this process remembers, so that other replicas
	// remember it too (Checker.ShareFingerprints). Called outside mu.
	share func(fp uint64)
}

// nearDuplicateBits is the Hamming distance under which two 64-bit SimHashes are "the same
// text with small edits" (Manku et al., WWW 2007, use 3 for web pages).
const nearDuplicateBits = 3

// minDuplicateWords keeps "LGTM", "+1" and "thanks!" out: short replies repeat innocently.
const minDuplicateWords = 12

func newHistory(n int) *history {
	if n <= 0 {
		return nil
	}
	return &history{ring: make([]uint64, n)}
}

func (h *history) check(a *analysis, remember bool) (Reason, bool) {
	if len(a.toks) < minDuplicateWords {
		return Reason{}, false
	}
	sh := simhash(a.n.text, a.toks)
	h.mu.Lock()
	found := false
	best := 65
	for i := 0; i < h.count; i++ {
		if d := bits.OnesCount64(h.ring[i] ^ sh); d <= nearDuplicateBits {
			found, best = true, d
			break
		}
	}
	if remember {
		h.add(sh)
	}
	h.mu.Unlock()
	if remember && h.share != nil {
		h.share(sh)
	}
	if !found {
		return Reason{}, false
	}
	w := 0.3
	if len(a.links) > 0 {
		w = 0.55
	}
	return reason(CodeNearDuplicate, w, span{0, len(a.orig)},
		"%s a text seen among the last %d (SimHash distance %d)", dupWord(best), len(h.ring), best), true
}

// add puts fp in the ring, over the oldest one when it is full. The caller holds mu.
func (h *history) add(fp uint64) {
	h.ring[h.next] = fp
	h.next = (h.next + 1) % len(h.ring)
	h.count = min(h.count+1, len(h.ring))
}

// ShareFingerprints hands every fingerprint the Checker remembers to publish (which must not
// block), so that the other replicas of a deployment can remember it too; package dupshare
// does that through Redis. A fingerprint is the text's 64-bit SimHash, not the text. Call it
// before the Checker is used. It does nothing when the near-duplicate memory is off.
func (c *Checker) ShareFingerprints(publish func(fp uint64)) {
	if c.history != nil {
		c.history.share = publish
	}
}

// RememberFingerprints adds fingerprints remembered elsewhere (another replica, or this
// service before a restart), oldest first, to the near-duplicate memory without publishing
// them again. It does nothing when the memory is off.
func (c *Checker) RememberFingerprints(fps ...uint64) {
	h := c.history
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, fp := range fps {
		h.add(fp)
	}
}

func dupWord(d int) string {
	if d == 0 {
		return "same as"
	}
	return fmt.Sprintf("%d bits from", d)
}

// simhash is Charikar's SimHash over word 3-shingles; the first 10k words are enough to
// fingerprint any comment.
func simhash(text string, toks []token) uint64 {
	var v [64]int32
	n := min(len(toks), 10000)
	for i := 0; i+2 < n; i++ {
		h := uint64(fnvOffset)
		for k := 0; k < 3; k++ {
			t := toks[i+k]
			h = uint64(fnvString(uint32(h), text[t.start:t.end]))*0x9e3779b97f4a7c15 + uint64(k)
		}
		h ^= h >> 29
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 32
		for b := 0; b < 64; b++ {
			if h&(1<<b) != 0 {
				v[b]++
			} else {
				v[b]--
			}
		}
	}
	var out uint64
	for b := 0; b < 64; b++ {
		if v[b] > 0 {
			out |= 1 << b
		}
	}
	return out
}
