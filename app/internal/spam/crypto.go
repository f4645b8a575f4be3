package spam

import (
	"crypto/sha256"
	"strings"
)

// walletAddr is a cryptocurrency address found in the original text. Addresses are matched on
// the caller's bytes, not the normalised text, because base58 and EIP-55 are case-sensitive.
type walletAddr struct {
	start, end int
	chain      string // BTC, ETH, TRX or SOL
}

// findWallets returns addresses whose checksum verifies (BTC base58check and bech32, TRX
// base58check) or whose shape is unambiguous (ETH: 0x + 40 hex). Solana addresses are bare
// base58 public keys with no checksum, so they only count when the text names Solana.
func findWallets(s string, mentionsSolana bool) []walletAddr {
	var out []walletAddr
	for i := 0; i < len(s); {
		if !isAlnum(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		if len(out) < 100 {
			if chain := classifyAddress(s[i:j], mentionsSolana); chain != "" {
				out = append(out, walletAddr{start: i, end: j, chain: chain})
			}
		}
		i = j
	}
	return out
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func classifyAddress(w string, mentionsSolana bool) string {
	switch {
	case len(w) == 42 && (w[:2] == "0x" || w[:2] == "0X") && isHex(w[2:]):
		return "ETH"
	case len(w) >= 14 && len(w) <= 74 && strings.HasPrefix(strings.ToLower(w), "bc1") && bech32Valid(strings.ToLower(w)):
		return "BTC"
	case (w[0] == '1' || w[0] == '3') && len(w) >= 26 && len(w) <= 35:
		if b, ok := base58Decode(w); ok && len(b) == 25 && base58CheckOK(b) && (b[0] == 0x00 || b[0] == 0x05) {
			return "BTC"
		}
	case w[0] == 'T' && len(w) == 34:
		if b, ok := base58Decode(w); ok && len(b) == 25 && base58CheckOK(b) && b[0] == 0x41 {
			return "TRX"
		}
	}
	if mentionsSolana && len(w) >= 32 && len(w) <= 44 {
		if b, ok := base58Decode(w); ok && len(b) == 32 {
			return "SOL"
		}
	}
	return ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var base58Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base58Alphabet); i++ {
		t[base58Alphabet[i]] = int8(i)
	}
	return t
}()

// base58Decode decodes at most 44 characters (the longest address it is asked about) with
// schoolbook big-number arithmetic on bytes.
func base58Decode(s string) ([]byte, bool) {
	if len(s) == 0 || len(s) > 44 {
		return nil, false
	}
	var buf [40]byte // 44 base58 digits < 2^258, so 33 bytes suffice
	size := 0
	for i := 0; i < len(s); i++ {
		d := base58Index[s[i]]
		if d < 0 {
			return nil, false
		}
		carry := int(d)
		for k := 0; k < size; k++ {
			carry += int(buf[len(buf)-1-k]) * 58
			buf[len(buf)-1-k] = byte(carry) // #nosec G115 -- base-58 to base-256: keeps the low byte, carries the rest
			carry >>= 8
		}
		for carry > 0 {
			if size == len(buf) {
				return nil, false
			}
			buf[len(buf)-1-size] = byte(carry) // #nosec G115 -- keeps the low byte; the loop carries the rest
			size++
			carry >>= 8
		}
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	out := make([]byte, zeros+size)
	copy(out[zeros:], buf[len(buf)-size:])
	return out, true
}

func base58CheckOK(b []byte) bool {
	first := sha256.Sum256(b[:len(b)-4])
	second := sha256.Sum256(first[:])
	return string(second[:4]) == string(b[len(b)-4:])
}

// bech32Valid checks a lower-case bech32/bech32m string's checksum (BIP-173, BIP-350).
func bech32Valid(s string) bool {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	sep := strings.LastIndexByte(s, '1')
	if sep < 1 || sep+7 > len(s) {
		return false
	}
	hrp, data := s[:sep], s[sep+1:]
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	step := func(v uint32) {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ v
		for i := 0; i < 5; i++ {
			if (top>>uint(i))&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	for i := 0; i < len(hrp); i++ {
		step(uint32(hrp[i]) >> 5)
	}
	step(0)
	for i := 0; i < len(hrp); i++ {
		step(uint32(hrp[i]) & 31)
	}
	for i := 0; i < len(data); i++ {
		v := strings.IndexByte(charset, data[i])
		if v < 0 {
			return false
		}
		step(uint32(v)) // #nosec G115 -- v >= 0 checked above; v is a digit value
	}
	return chk == 1 || chk == 0x2bc830a3
}
