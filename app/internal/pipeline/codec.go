package pipeline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/google/uuid"
)

// The spool's record encoding: a version byte, then the Event's fields in a fixed order, with
// uvarint lengths. It is several times cheaper than JSON for both writing (every request pays
// it) and reading (replay), and the version byte lets the format change: a reader refuses a
// version it does not know instead of misreading it.
//
// Version 2 added the feedback's Target. Only feedback with a Target is written as version 2:
// everything else keeps version 1's bytes, so a release that reads only version 1 (a rollback
// before the spool drained) loses at most such feedback, never an answer. Version 1 records are
// read as before: a spool left by the previous release replays after an upgrade.
const (
	codecVersion = 2
	codecV1      = 1
)

// readableVersion reports whether a record's first byte is a version this release reads.
func readableVersion(b []byte) bool {
	return len(b) > 0 && (b[0] == codecVersion || b[0] == codecV1)
}

// maxCollection bounds any count in a record, so a corrupt one cannot make the decoder
// allocate without limit.
const maxCollection = 1 << 16

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendFloat(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// sortedKeys keeps the encoding deterministic. It returns keys, filled; the caller's array
// spares an allocation for the usual handful of keys.
func sortedKeys[V any](m map[string]V, keys []string) []string {
	keys = keys[:0]
	for k := range m {
		keys = append(keys, k)
	}
	if len(keys) > 1 {
		sort.Strings(keys)
	}
	return keys
}

// encodeEvent appends ev's encoding to b.
func encodeEvent(b []byte, ev *Event) []byte {
	var keyArray [16]string
	version := byte(codecV1)
	if ev.Feedback != nil && ev.Feedback.Target != (Target{}) {
		version = codecVersion
	}
	b = append(b, version)
	b = appendString(b, ev.Kind)
	b = append(b, ev.ID[:]...)
	b = binary.AppendVarint(b, timeNano(ev.ReceivedAt))
	b = binary.AppendVarint(b, int64(ev.Latency))
	b = appendString(b, ev.Client)
	b = appendString(b, ev.Repo)
	b = binary.AppendUvarint(b, uint64(len(ev.Meta)))
	for _, k := range sortedKeys(ev.Meta, keyArray[:0]) {
		b = appendString(appendString(b, k), ev.Meta[k])
	}
	b = binary.AppendVarint(b, ev.InputSize)
	b = appendString(b, string(ev.InputSHA256))
	b = appendString(b, ev.Input)
	b = appendBool(b, ev.InputTruncated)
	b = appendString(b, ev.Outcome)
	b = appendFloat(b, ev.Score)
	b = appendString(b, ev.RankerVersion)
	b = binary.AppendUvarint(b, uint64(len(ev.Propositions)))
	for _, p := range ev.Propositions {
		b = binary.AppendVarint(b, int64(p.Rank))
		b = appendString(b, p.CauseID)
		b = appendString(b, p.Category)
		b = appendFloat(b, p.Score)
		b = appendBool(b, p.Features != nil)
		b = binary.AppendUvarint(b, uint64(len(p.Features)))
		for _, k := range sortedKeys(p.Features, keyArray[:0]) {
			b = appendFloat(appendString(b, k), p.Features[k])
		}
	}
	b = appendBool(b, ev.Feedback != nil)
	if f := ev.Feedback; f != nil {
		b = append(b, f.RequestID[:]...)
		b = appendString(b, f.CauseID)
		b = appendString(b, f.Outcome)
		b = appendString(b, f.Actor)
		b = binary.AppendVarint(b, timeNano(f.At))
		if version >= 2 {
			b = appendString(b, f.Kind)
			b = appendString(b, f.Repo)
			b = appendString(b, f.Category)
		}
	}
	return b
}

var errShortRecord = errors.New("record ends early")

// decoder reads a record. decodeEvent reads from one string copy of it, so that every string
// field is a slice of that copy (one allocation for the record's text, not one per field);
// the writer reads the record's bytes in place (see copyBatch.add).
type decoder[T string | []byte] struct {
	b       T
	version byte // the record's codec version
	err     error
}

func (d *decoder[T]) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = d.b[:0]
}

// uvarint and varint read as encoding/binary's Uvarint and Varint, from either type.
func (d *decoder[T]) uvarint() uint64 {
	var v uint64
	var shift uint
	for i := 0; i < len(d.b) && i < binary.MaxVarintLen64; i++ {
		c := d.b[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break // overflow
			}
			d.b = d.b[i+1:]
			return v | uint64(c)<<shift
		}
		v |= uint64(c&0x7f) << shift
		shift += 7
	}
	d.fail(errShortRecord)
	return 0
}

func (d *decoder[T]) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *decoder[T]) bytes(n uint64) T {
	if n > uint64(len(d.b)) {
		d.fail(errShortRecord)
		return d.b[:0]
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder[T]) string() T { return d.bytes(d.uvarint()) }

func (d *decoder[T]) float() float64 {
	v := d.bytes(8)
	if len(v) < 8 {
		return 0
	}
	return math.Float64frombits(uint64(v[0]) | uint64(v[1])<<8 | uint64(v[2])<<16 | uint64(v[3])<<24 |
		uint64(v[4])<<32 | uint64(v[5])<<40 | uint64(v[6])<<48 | uint64(v[7])<<56)
}

func (d *decoder[T]) bool() bool {
	v := d.bytes(1)
	return len(v) == 1 && v[0] == 1
}

func (d *decoder[T]) count() int {
	n := d.uvarint()
	if n > maxCollection {
		d.fail(fmt.Errorf("count %d exceeds %d", n, maxCollection))
		return 0
	}
	return int(n)
}

func (d *decoder[T]) uuid() uuid.UUID {
	var u uuid.UUID
	copy(u[:], d.bytes(16))
	return u
}

// timeNano encodes the zero time as 0 (its UnixNano is out of range).
func timeNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func unixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// decodeEvent reads an event encoded by encodeEvent. Bad input is an error, never a panic.
func decodeEvent(b []byte) (*Event, error) {
	if !readableVersion(b) {
		if len(b) > 0 && b[0] == '{' {
			return nil, errors.New("JSON record: not written by this version")
		}
		return nil, fmt.Errorf("unknown record version")
	}
	d := &decoder[string]{b: string(b[1:]), version: b[0]}
	ev := &Event{}
	ev.Kind = d.string()
	ev.ID = d.uuid()
	ev.ReceivedAt = unixNano(d.varint())
	ev.Latency = time.Duration(d.varint())
	ev.Client = d.string()
	ev.Repo = d.string()
	if n := d.count(); n > 0 {
		ev.Meta = make(map[string]string, n)
		for range n {
			k := d.string()
			ev.Meta[k] = d.string()
		}
	}
	ev.InputSize = d.varint()
	if sha := d.bytes(d.uvarint()); len(sha) > 0 {
		ev.InputSHA256 = []byte(sha)
	}
	ev.Input = d.string()
	ev.InputTruncated = d.bool()
	ev.Outcome = d.string()
	ev.Score = d.float()
	ev.RankerVersion = d.string()
	if n := d.count(); n > 0 {
		ev.Propositions = make([]Proposition, n)
		for i := range ev.Propositions {
			p := &ev.Propositions[i]
			p.Rank = int(d.varint())
			p.CauseID = d.string()
			p.Category = d.string()
			p.Score = d.float()
			hasFeatures := d.bool()
			n := d.count()
			if hasFeatures {
				p.Features = make(map[string]float64, n)
			}
			for range n {
				k := d.string()
				v := d.float()
				if p.Features != nil {
					p.Features[k] = v
				}
			}
			if d.err != nil {
				break
			}
		}
	}
	if d.bool() {
		f := &Feedback{}
		f.RequestID = d.uuid()
		f.CauseID = d.string()
		f.Outcome = d.string()
		f.Actor = d.string()
		f.At = unixNano(d.varint())
		if d.version >= 2 {
			f.Kind = d.string()
			f.Repo = d.string()
			f.Category = d.string()
		}
		ev.Feedback = f
	}
	if d.err != nil {
		return nil, fmt.Errorf("decoding a spool record: %w", d.err)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("decoding a spool record: %d bytes left over", len(d.b))
	}
	return ev, nil
}
