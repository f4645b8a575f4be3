package pipeline

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// copyBuf builds the data of a COPY … FROM STDIN (FORMAT binary) for the staging tables.
// Encoding the batch by hand, straight into one reused buffer, costs the writer a few hundred
// nanoseconds per event; pgx's generic CopyFromRows boxed every value in an interface and
// looked up its codec, which was most of the writer's CPU (docs/benchmarks.md).
//
// The format (PostgreSQL's "Binary Format" of COPY): a signature and two zero words, then per
// row a field count and per field a length (-1 for NULL) and the value in the type's binary
// send format, then a -1 trailer.
type copyBuf struct {
	b []byte
}

var copySignature = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// pgEpoch is PostgreSQL's timestamp epoch: timestamptz is microseconds since it.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

func (c *copyBuf) reset() {
	c.b = append(c.b[:0], copySignature...)
}

// finish appends the trailer and returns the data.
func (c *copyBuf) finish() []byte {
	c.b = binary.BigEndian.AppendUint16(c.b, 0xffff)
	return c.b
}

func (c *copyBuf) row(fields int) { c.b = binary.BigEndian.AppendUint16(c.b, uint16(fields)) }

func (c *copyBuf) null() { c.b = binary.BigEndian.AppendUint32(c.b, math.MaxUint32) }

func (c *copyBuf) uuid(u uuid.UUID) {
	c.b = binary.BigEndian.AppendUint32(c.b, 16)
	c.b = append(c.b, u[:]...)
}

func (c *copyBuf) text(s string) {
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(s)))
	c.b = append(c.b, s...)
}

// bytea is NULL for nil, like pgx's encoding of a nil []byte.
func (c *copyBuf) bytea(v []byte) {
	if v == nil {
		c.null()
		return
	}
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(v)))
	c.b = append(c.b, v...)
}

func (c *copyBuf) int4(v int32) {
	c.b = binary.BigEndian.AppendUint32(c.b, 4)
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(v))
}

func (c *copyBuf) int8(v int64) {
	c.b = binary.BigEndian.AppendUint32(c.b, 8)
	c.b = binary.BigEndian.AppendUint64(c.b, uint64(v))
}

func (c *copyBuf) float8(v float64) {
	c.b = binary.BigEndian.AppendUint32(c.b, 8)
	c.b = binary.BigEndian.AppendUint64(c.b, math.Float64bits(v))
}

func (c *copyBuf) bool(v bool) {
	c.b = binary.BigEndian.AppendUint32(c.b, 1)
	if v {
		c.b = append(c.b, 1)
	} else {
		c.b = append(c.b, 0)
	}
}

func (c *copyBuf) timestamptz(t time.Time) { c.int8(t.UnixMicro() - pgEpoch) }

// field reserves a length word for a value appended next and returns its position for
// endField.
func (c *copyBuf) field() int {
	c.b = append(c.b, 0, 0, 0, 0)
	return len(c.b)
}

func (c *copyBuf) endField(at int) {
	binary.BigEndian.PutUint32(c.b[at-4:at], uint32(len(c.b)-at))
}

// jsonbStrings stores m as a jsonb object (NULL when empty).
func (c *copyBuf) jsonbStrings(m map[string]string) {
	if len(m) == 0 {
		c.null()
		return
	}
	at := c.field()
	c.b = append(c.b, 1, '{') // jsonb's binary format: version 1, then the JSON text
	first := true
	for k, v := range m {
		if !first {
			c.b = append(c.b, ',')
		}
		first = false
		c.b = appendJSONString(c.b, k)
		c.b = append(c.b, ':')
		c.b = appendJSONString(c.b, v)
	}
	c.b = append(c.b, '}')
	c.endField(at)
}

// jsonbNumbers stores m as a jsonb object of numbers (NULL when m is nil). JSON has no NaN or
// infinity: such a value is the caller's bug, refused like json.Marshal refused it.
func (c *copyBuf) jsonbNumbers(m map[string]float64) error {
	if m == nil {
		c.null()
		return nil
	}
	at := c.field()
	c.b = append(c.b, 1, '{')
	first := true
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: feature %q is %v", ErrInvalidEvent, k, v)
		}
		if !first {
			c.b = append(c.b, ',')
		}
		first = false
		c.b = appendJSONString(c.b, k)
		c.b = append(c.b, ':')
		c.b = strconv.AppendFloat(c.b, v, 'g', -1, 64)
	}
	c.b = append(c.b, '}')
	c.endField(at)
	return nil
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 and NUL become U+FFFD: jsonb
// refuses \u0000, and a key is not worth losing the event for.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			case 0:
				b = append(b, "\uFFFD"...)
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
