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

func (c *copyBuf) row(fields int) { c.b = binary.BigEndian.AppendUint16(c.b, uint16(fields)) } // #nosec G115 -- callers pass their table's column count (6, 10 or 14)

func (c *copyBuf) null() { c.b = binary.BigEndian.AppendUint32(c.b, math.MaxUint32) }

func (c *copyBuf) uuid(u uuid.UUID) {
	c.b = binary.BigEndian.AppendUint32(c.b, 16)
	c.b = append(c.b, u[:]...)
}

func (c *copyBuf) text(s []byte) {
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(s))) // #nosec G115 -- a field is part of one spool record, at most maxPayload (32 MiB) bytes
	c.b = append(c.b, s...)
}

// bytea is NULL when empty (as an empty digest always was after a trip through the spool).
func (c *copyBuf) bytea(v []byte) {
	if len(v) == 0 {
		c.null()
		return
	}
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(v))) // #nosec G115 -- a field is part of one spool record, at most maxPayload (32 MiB) bytes
	c.b = append(c.b, v...)
}

func (c *copyBuf) int4(v int32) {
	c.b = binary.BigEndian.AppendUint32(c.b, 4)
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(v)) // #nosec G115 -- int4 on the wire is the two's-complement bit pattern
}

func (c *copyBuf) int8(v int64) {
	c.b = binary.BigEndian.AppendUint32(c.b, 8)
	c.b = binary.BigEndian.AppendUint64(c.b, uint64(v)) // #nosec G115 -- int8 on the wire is the two's-complement bit pattern
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

// timestamptz takes the spool's encoding of a time (timeNano).
func (c *copyBuf) timestamptz(nano int64) { c.int8(unixNano(nano).UnixMicro() - pgEpoch) }

// field reserves a length word for a value appended next and returns its position for
// endField.
func (c *copyBuf) field() int {
	c.b = append(c.b, 0, 0, 0, 0)
	return len(c.b)
}

func (c *copyBuf) endField(at int) {
	binary.BigEndian.PutUint32(c.b[at-4:at], uint32(len(c.b)-at)) // #nosec G115 -- a field is part of one spool record, at most maxPayload (32 MiB) bytes
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 and NUL become U+FFFD: jsonb
// refuses \u0000, and a key is not worth losing the event for.
func appendJSONString(b, s []byte) []byte {
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
		r, size := utf8.DecodeRune(s[i:])
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

// copyBatch is a batch's COPY data for the three staging tables.
type copyBatch struct {
	reqs, props, fbs copyBuf
	nreq, nprop, nfb int
}

func (cb *copyBatch) reset() {
	cb.reqs.reset()
	cb.props.reset()
	cb.fbs.reset()
	cb.nreq, cb.nprop, cb.nfb = 0, 0, 0
}

// add appends the rows of one spool record (encodeEvent's encoding) to the batch. It reads
// the record in place, field by field, in encodeEvent's order: no Event, no maps, nothing
// allocated. A record it cannot read is ErrInvalidEvent, and the batch is then unusable.
func (cb *copyBatch) add(rec []byte) error {
	d, kind, id, err := openRecord(rec)
	if err != nil {
		return err
	}
	if string(kind) == KindFeedback {
		// A feedback record's request fields are empty but for its client: keep that, skip the rest.
		d.varint()
		d.varint()
		client := d.string()
		d.string()
		for range d.count() {
			d.string()
			d.string()
		}
		d.varint()
		d.string()
		d.string()
		d.bool()
		d.string()
		d.float()
		d.string()
		if d.count() != 0 {
			return fmt.Errorf("%w: feedback %s with propositions", ErrInvalidEvent, id)
		}
		if !d.bool() {
			return fmt.Errorf("%w: feedback event without feedback", ErrInvalidEvent)
		}
		c := &cb.fbs
		c.row(10)
		c.uuid(id)
		c.uuid(d.uuid())
		cause := d.string()
		c.text(cause)
		c.text(d.string()) // outcome
		c.text(d.string()) // actor
		c.timestamptz(d.varint())
		// kind, repo, category: NULL when the feedback came without its Target (a version 1
		// record, or a caller that did not look it up), as retention's copy leaves them
		// (dropPartitionsBefore); category is NULL for the whole answer.
		var kind, repo, category []byte
		if d.version >= 2 {
			kind, repo, category = d.string(), d.string(), d.string()
		}
		if len(kind) == 0 {
			c.null()
			c.null()
			c.null()
		} else {
			c.text(kind)
			c.text(repo)
			if len(cause) == 0 {
				c.null()
			} else {
				c.text(category)
			}
		}
		// client: NULL when unknown, as on the rows written before the column existed: the
		// previous release's records (it never set the client on feedback), and a server
		// without API keys, whose requests have no client either.
		if len(client) == 0 {
			c.null()
		} else {
			c.text(client)
		}
		cb.nfb++
		return d.end(id)
	}
	c := &cb.reqs
	c.row(14)
	c.uuid(id)
	c.text(kind)
	c.timestamptz(d.varint())                        // received_at
	c.int8(time.Duration(d.varint()).Microseconds()) // latency_us
	c.text(d.string())                               // client
	c.text(d.string())                               // repo
	if n := d.count(); n == 0 {                      // meta
		c.null()
	} else {
		at := c.field()
		c.b = append(c.b, 1, '{') // jsonb's binary format: version 1, then the JSON text
		for i := range n {
			if i > 0 {
				c.b = append(c.b, ',')
			}
			c.b = appendJSONString(c.b, d.string())
			c.b = append(c.b, ':')
			c.b = appendJSONString(c.b, d.string())
		}
		c.b = append(c.b, '}')
		c.endField(at)
	}
	c.int8(d.varint())  // input_size
	c.bytea(d.string()) // input_sha256
	c.text(d.string())  // input
	c.bool(d.bool())    // input_truncated
	c.text(d.string())  // outcome
	c.float8(d.float()) // score
	c.text(d.string())  // ranker_version
	cb.nreq++
	for range d.count() {
		c := &cb.props
		c.row(6)
		c.uuid(id)
		c.int4(int32(d.varint())) // #nosec G115 -- ranks are small; the record passed its CRC32C, and the column is int4
		c.text(d.string())        // cause_id
		c.text(d.string())        // category
		c.float8(d.float())       // score
		hasFeatures := d.bool()
		n := d.count()
		if !hasFeatures {
			// No features, yet pairs may follow (encodeEvent writes none, but decodeEvent
			// reads them): read past them as it does, or the rest of the record is misread.
			for range n {
				d.string()
				d.float()
			}
			c.null()
		} else {
			// JSON has no NaN or infinity: such a value is the caller's bug, refused as
			// json.Marshal refused it.
			at := c.field()
			c.b = append(c.b, 1, '{')
			for i := range n {
				if i > 0 {
					c.b = append(c.b, ',')
				}
				k := d.string()
				v := d.float()
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("%w: %s: feature %q is %v", ErrInvalidEvent, id, k, v)
				}
				c.b = appendJSONString(c.b, k)
				c.b = append(c.b, ':')
				c.b = strconv.AppendFloat(c.b, v, 'g', -1, 64)
			}
			c.b = append(c.b, '}')
			c.endField(at)
		}
		cb.nprop++
		if d.err != nil {
			break
		}
	}
	if d.bool() {
		return fmt.Errorf("%w: request %s with feedback", ErrInvalidEvent, id)
	}
	return d.end(id)
}

// end reports a record that was short or too long.
func (d *decoder[T]) end(id uuid.UUID) error {
	if d.err != nil {
		return fmt.Errorf("%w: record %s: %w", ErrInvalidEvent, id, d.err)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: record %s: %d bytes left over", ErrInvalidEvent, id, len(d.b))
	}
	return nil
}

// recordHeader reads the kind and id at the start of a spool record.
func recordHeader(rec []byte) (id uuid.UUID, feedback bool, err error) {
	_, kind, id, err := openRecord(rec)
	return id, err == nil && string(kind) == KindFeedback, err
}

// openRecord checks a spool record's version and reads its kind and id, which every record
// starts with; d is left at the field after them.
func openRecord(rec []byte) (d *decoder[[]byte], kind []byte, id uuid.UUID, err error) {
	if !readableVersion(rec) {
		return nil, nil, id, fmt.Errorf("%w: unknown record version", ErrInvalidEvent)
	}
	d = &decoder[[]byte]{b: rec[1:], version: rec[0]}
	kind = d.string()
	id = d.uuid()
	if d.err != nil {
		return nil, nil, id, fmt.Errorf("%w: %w", ErrInvalidEvent, d.err)
	}
	return d, kind, id, nil
}
