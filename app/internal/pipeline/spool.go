package pipeline

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// FsyncPolicy says when spool writes reach the disk.
type FsyncPolicy string

// The fsync policies.
const (
	// FsyncBatch is group commit: Record returns once its event is fsynced, and one fsync
	// serves every event appended while the previous one ran. Nothing acknowledged is lost,
	// even on power loss.
	FsyncBatch FsyncPolicy = "batch"
	// FsyncInterval fsyncs every FsyncInterval without making Record wait: a machine crash
	// can lose that last interval's acknowledged events (a process crash loses nothing).
	FsyncInterval FsyncPolicy = "interval"
	// FsyncNever leaves it to the kernel, for benchmarks and throwaway setups.
	FsyncNever FsyncPolicy = "never"
)

// ParseFsyncPolicy reads a policy name.
func ParseFsyncPolicy(s string) (FsyncPolicy, error) {
	switch p := FsyncPolicy(s); p {
	case FsyncBatch, FsyncInterval, FsyncNever:
		return p, nil
	}
	return "", fmt.Errorf("fsync policy %q: want batch, interval or never", s)
}

// A frame is [payload length u32][CRC32C of payload+seq u32][seq u64][payload], little endian.
// The sequence number orders events across segments and lets a reader skip what it has seen.
const (
	frameHeader = 16
	maxPayload  = 32 << 20
	segSuffix   = ".seg"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrSpoolFull means the spool reached its size cap: the event was not recorded, and the
// request must not be acknowledged.
var ErrSpoolFull = errors.New("spool full")

var (
	errTorn   = errors.New("torn frame") // the data ends inside a frame, or its length is impossible
	errBadCRC = errors.New("checksum mismatch")
)

type segment struct {
	first  uint64 // the first sequence number the segment may hold (its name)
	last   uint64 // the last valid sequence number in it; 0 when none
	size   int64  // bytes of complete frames, buffered ones included
	path   string
	sealed bool // no more appends
}

// SpoolReport describes what the spool found at start.
type SpoolReport struct {
	Segments   int
	Records    int   // whole records kept for replay
	BadRecords int   // whole frames whose checksum failed, skipped
	TornBytes  int64 // bytes after the last whole frame of a segment (a torn or corrupt tail)
	Problems   []string
}

type spool struct {
	dir          string
	segmentBytes int64
	maxBytes     int64
	policy       FsyncPolicy
	logger       *slog.Logger

	mu        sync.Mutex
	lockFile  *os.File
	active    *os.File
	segs      []*segment // in sequence order; the last one is active
	total     int64      // bytes of all segments
	nextSeq   uint64
	closed    bool
	rotatedAt time.Time
	// buf holds frames appended but not yet written to the active segment (FsyncBatch only:
	// their Record calls wait for the next group commit, which writes and fsyncs them at
	// once). written is how much of the active segment is in the file.
	buf     []byte
	written int64
	// broken is the first write or fsync error: the spool then fails closed, refusing every
	// append until a restart rescans it, so nothing unrecorded is ever acknowledged.
	broken error

	syncMu   sync.Mutex
	syncCond *sync.Cond
	synced   uint64
	syncing  bool
}

// openSpool locks dir, scans its segments (calling fn for every whole record, in order; the
// payload is valid only during the call) and opens a fresh active segment. Old segments are never appended to: whatever their tail
// holds stays as it was found.
func openSpool(dir string, segmentBytes, maxBytes int64, policy FsyncPolicy, logger *slog.Logger, fn func(seq uint64, payload []byte)) (*spool, SpoolReport, error) {
	var rep SpoolReport
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, rep, fmt.Errorf("creating the spool directory: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, rep, fmt.Errorf("opening the spool lock: %w", err)
	}
	// Two processes appending to one spool would interleave sequence numbers.
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lf.Close()
		return nil, rep, fmt.Errorf("spool %s is in use by another process: %w", dir, err)
	}
	s := &spool{dir: dir, segmentBytes: segmentBytes, maxBytes: maxBytes, policy: policy, logger: logger, lockFile: lf, nextSeq: 1}
	s.syncCond = sync.NewCond(&s.syncMu)
	entries, err := os.ReadDir(dir)
	if err != nil {
		s.unlock()
		return nil, rep, fmt.Errorf("reading the spool directory: %w", err)
	}
	for _, e := range entries {
		first, ok := parseSegName(e.Name())
		if !ok || e.IsDir() {
			continue
		}
		seg := &segment{first: first, path: filepath.Join(dir, e.Name()), sealed: true}
		if err := s.scan(seg, &rep, fn); err != nil {
			s.unlock()
			return nil, rep, err
		}
		if seg.size == 0 && seg.last == 0 {
			os.Remove(seg.path) // created, never written: nothing to keep
			continue
		}
		s.segs = append(s.segs, seg)
		s.total += seg.size
		s.nextSeq = max(s.nextSeq, seg.last+1, seg.first+1)
	}
	sort.Slice(s.segs, func(i, j int) bool { return s.segs[i].first < s.segs[j].first })
	rep.Segments = len(s.segs)
	s.synced = s.nextSeq - 1
	if err := s.newSegment(); err != nil {
		s.unlock()
		return nil, rep, err
	}
	return s, rep, nil
}

func parseSegName(name string) (uint64, bool) {
	if !strings.HasSuffix(name, segSuffix) {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 10, 64)
	return n, err == nil
}

// scan reads a whole segment at start, keeping every whole record and reporting the rest.
func (s *spool) scan(seg *segment, rep *SpoolReport, fn func(uint64, []byte)) error {
	f, err := os.Open(seg.path)
	if err != nil {
		return fmt.Errorf("opening spool segment: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reading spool segment: %w", err)
	}
	seg.size = st.Size()
	fr := newFrameReader(f, 0)
	for {
		at := fr.off
		seq, payload, err := fr.next(seg.size)
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, errTorn):
			rep.TornBytes += seg.size - at
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %d bytes after offset %d are not a whole record (torn or corrupt tail); kept the %d records before it", filepath.Base(seg.path), seg.size-at, at, rep.Records))
			return nil
		case errors.Is(err, errBadCRC), err == nil && seq <= seg.last:
			rep.BadRecords++
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: record at offset %d fails its checksum; skipped", filepath.Base(seg.path), at))
			continue
		case err != nil:
			return fmt.Errorf("reading spool segment %s: %w", seg.path, err)
		}
		seg.last = seq
		rep.Records++
		fn(seq, payload)
	}
}

type frameReader struct {
	br      *bufio.Reader
	off     int64
	hdr     [frameHeader]byte
	payload []byte // reused: a payload is valid until the next call of next
}

func newFrameReader(r io.Reader, off int64) *frameReader {
	return &frameReader{br: bufio.NewReaderSize(r, 256<<10), off: off}
}

// next reads the frame at fr.off, given that the data ends at end. The payload it returns is
// overwritten by the next call. It returns io.EOF at a
// clean end, errTorn when the data ends inside a frame or its length is impossible (nothing
// after it can be trusted), and errBadCRC for a whole frame whose checksum fails (fr.off has
// moved past it, so reading can go on).
func (fr *frameReader) next(end int64) (uint64, []byte, error) {
	if fr.off == end {
		return 0, nil, io.EOF
	}
	if end-fr.off < frameHeader {
		return 0, nil, errTorn
	}
	if _, err := io.ReadFull(fr.br, fr.hdr[:]); err != nil {
		return 0, nil, errTorn
	}
	n := int64(binary.LittleEndian.Uint32(fr.hdr[0:4]))
	if n == 0 || n > maxPayload || end-fr.off-frameHeader < n { // no event encodes to nothing: zeros are a torn tail
		return 0, nil, errTorn
	}
	if int64(cap(fr.payload)) < n {
		fr.payload = make([]byte, n)
	}
	payload := fr.payload[:n]
	if _, err := io.ReadFull(fr.br, payload); err != nil {
		return 0, nil, errTorn
	}
	fr.off += frameHeader + n
	if crc32.Update(crc32.Checksum(payload, castagnoli), castagnoli, fr.hdr[8:16]) != binary.LittleEndian.Uint32(fr.hdr[4:8]) {
		return 0, nil, errBadCRC
	}
	return binary.LittleEndian.Uint64(fr.hdr[8:16]), payload, nil
}

// newSegment seals the active segment (fsynced) and opens the next one. Call with mu held.
func (s *spool) newSegment() error {
	if s.active != nil {
		if err := s.flushLocked(); err != nil {
			return err
		}
		if s.policy != FsyncNever {
			if err := s.active.Sync(); err != nil {
				return fmt.Errorf("syncing spool segment: %w", err)
			}
		}
		s.active.Close()
		s.segs[len(s.segs)-1].sealed = true
		s.markSynced(s.nextSeq - 1)
	}
	seg := &segment{first: s.nextSeq, path: filepath.Join(s.dir, fmt.Sprintf("%020d%s", s.nextSeq, segSuffix))}
	f, err := os.OpenFile(seg.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("creating spool segment: %w", err)
	}
	if s.policy != FsyncNever {
		if d, err := os.Open(s.dir); err == nil {
			_ = d.Sync() // the new name must survive a crash as well as its contents; best effort: some file systems refuse fsync on a directory
			d.Close()
		}
	}
	s.active = f
	s.written = 0
	s.segs = append(s.segs, seg)
	s.rotatedAt = time.Now()
	return nil
}

// flushLocked writes the buffered frames to the active segment. Call with mu held.
func (s *spool) flushLocked() error {
	if s.broken != nil {
		return s.broken
	}
	if len(s.buf) == 0 {
		return nil
	}
	n, err := s.active.Write(s.buf)
	s.written += int64(n)
	if err != nil {
		s.broken = fmt.Errorf("writing the spool: %w", err)
		return s.broken
	}
	s.buf = s.buf[:0]
	return nil
}

func (s *spool) markSynced(seq uint64) {
	s.syncMu.Lock()
	if seq > s.synced {
		s.synced = seq
	}
	s.syncCond.Broadcast()
	s.syncMu.Unlock()
}

// append writes one record and calls enqueue with its sequence number, both under the spool
// lock so that the queue sees events in sequence order. frame is the record with room for
// its header in front (frameHeader bytes, filled here): the payload is framed where it was
// encoded, without a copy. The caller may reuse frame once append returns.
func (s *spool) append(frame []byte, enqueue func(seq uint64)) (uint64, error) {
	buf := frame
	payload := frame[frameHeader:]
	if len(payload) > maxPayload {
		return 0, fmt.Errorf("%w: event of %d bytes exceeds the %d-byte record limit", ErrInvalidEvent, len(payload), maxPayload)
	}
	binary.LittleEndian.PutUint32(buf[0:4], uint32(len(payload))) // #nosec G115 -- len(payload) <= maxPayload (32 MiB), checked above
	payloadCRC := crc32.Checksum(payload, castagnoli)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errors.New("spool closed")
	}
	if s.broken != nil {
		return 0, s.broken
	}
	if s.total+int64(len(buf)) > s.maxBytes {
		return 0, ErrSpoolFull
	}
	seg := s.segs[len(s.segs)-1]
	if seg.size >= s.segmentBytes {
		if err := s.newSegment(); err != nil {
			return 0, err
		}
		seg = s.segs[len(s.segs)-1]
	}
	seq := s.nextSeq
	binary.LittleEndian.PutUint64(buf[8:16], seq)
	binary.LittleEndian.PutUint32(buf[4:8], crc32.Update(payloadCRC, castagnoli, buf[8:16]))
	if s.policy == FsyncBatch {
		s.buf = append(s.buf, buf...)
		if len(s.buf) >= 1<<20 {
			if err := s.flushLocked(); err != nil {
				return 0, err
			}
		}
	} else if _, err := s.active.Write(buf); err != nil {
		// Leave no half frame behind: later records would be unreadable after it.
		if terr := s.active.Truncate(s.written); terr != nil {
			s.broken = fmt.Errorf("writing the spool: %w", err)
		}
		return 0, fmt.Errorf("writing the spool: %w", err)
	} else {
		s.written += int64(len(buf))
	}
	s.nextSeq++
	seg.last = seq
	seg.size += int64(len(buf))
	s.total += int64(len(buf))
	enqueue(seq)
	return seq, nil
}

// waitDurable returns once record seq is on disk as the policy promises.
func (s *spool) waitDurable(seq uint64) error {
	if s.policy != FsyncBatch {
		return nil
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	for s.synced < seq {
		if s.syncing {
			s.syncCond.Wait()
			continue
		}
		// Lead a group commit: one fsync for everything appended so far.
		s.syncing = true
		s.syncMu.Unlock()
		s.mu.Lock()
		f, target := s.active, s.nextSeq-1
		err := s.flushLocked()
		s.mu.Unlock()
		if err == nil {
			err = f.Sync()
			if errors.Is(err, os.ErrClosed) {
				err = nil // rotated meanwhile, and rotation syncs the segment it seals
			} else if err != nil {
				// After a failed fsync the kernel may have dropped the dirty pages: what the
				// file holds is unknown, so the spool stops taking events.
				s.mu.Lock()
				if s.broken == nil {
					s.broken = fmt.Errorf("syncing the spool: %w", err)
				}
				s.mu.Unlock()
			}
		}
		s.syncMu.Lock()
		s.syncing = false
		if err == nil && target > s.synced {
			s.synced = target
		}
		s.syncCond.Broadcast()
		if err != nil {
			return fmt.Errorf("syncing the spool: %w", err)
		}
	}
	return nil
}

// syncLoop is the FsyncInterval policy's background fsync.
func (s *spool) syncLoop(stop <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.mu.Lock()
			if !s.closed {
				if err := s.active.Sync(); err != nil {
					s.logger.Error("syncing the spool", "err", err)
				}
			}
			s.mu.Unlock()
		}
	}
}

// release deletes the segments whose records are all committed (sequence numbers up to
// upTo). The active segment is sealed first when it is entirely committed and has been
// written to for a while, so that an idle spool empties.
func (s *spool) release(upTo uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	act := s.segs[len(s.segs)-1]
	if act.last != 0 && act.last <= upTo && (act.size >= s.segmentBytes/4 || time.Since(s.rotatedAt) > time.Second) {
		if err := s.newSegment(); err != nil {
			return err
		}
	}
	keep := s.segs[:0]
	var firstErr error
	for _, seg := range s.segs {
		if seg.sealed && seg.last <= upTo {
			if err := os.Remove(seg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
				firstErr = cmpErr(firstErr, fmt.Errorf("deleting spool segment: %w", err))
				keep = append(keep, seg)
				continue
			}
			s.total -= seg.size
			continue
		}
		keep = append(keep, seg)
	}
	s.segs = keep
	return firstErr
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// failed returns the write or fsync error that stopped the spool, nil while it works.
func (s *spool) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.broken
}

// bytes is the spool's size on disk.
func (s *spool) bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

func (s *spool) segmentCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.segs)
}

// cursor is the writer's position when it reads the spool itself (catch-up).
type cursor struct {
	segFirst uint64 // the segment being read, or the least first of the next one
	off      int64
	from     uint64 // records below this sequence number were handled already
	f        *os.File
	fFirst   uint64
	fr       *frameReader // its buffers are reused from one read to the next
}

func (c *cursor) close() {
	if c.f != nil {
		c.f.Close()
		c.f = nil
	}
}

// read calls fn for up to max records from the cursor on (the payload is valid only during
// the call). It stops at the end of what has
// been written; corrupt frames are reported and skipped.
func (s *spool) read(c *cursor, max int, fn func(seq uint64, payload []byte)) (int, error) {
	n := 0
	for n < max {
		s.mu.Lock()
		var seg *segment
		for _, sg := range s.segs {
			if sg.first >= c.segFirst {
				seg = sg
				break
			}
		}
		if seg == nil {
			s.mu.Unlock()
			return n, nil
		}
		if !seg.sealed {
			// Buffered frames belong to callers waiting for the group commit; writing them
			// now lets the reader see them (they are only acknowledged after the fsync).
			_ = s.flushLocked() // a failure marks the spool broken for the writers, who report it
		}
		sealed, end, path, first := seg.sealed, seg.size, seg.path, seg.first
		if !sealed {
			end = s.written
		}
		s.mu.Unlock()
		if first != c.segFirst {
			c.segFirst, c.off = first, 0
		}
		if c.f == nil || c.fFirst != first {
			c.close()
			f, err := os.Open(path)
			if err != nil {
				return n, fmt.Errorf("opening spool segment: %w", err)
			}
			c.f, c.fFirst = f, first
		}
		if _, err := c.f.Seek(c.off, io.SeekStart); err != nil {
			return n, fmt.Errorf("seeking spool segment: %w", err)
		}
		if c.fr == nil {
			c.fr = newFrameReader(c.f, c.off)
		} else {
			c.fr.br.Reset(c.f)
			c.fr.off = c.off
		}
		fr := c.fr
		for n < max {
			seq, payload, err := fr.next(end)
			if errors.Is(err, io.EOF) || errors.Is(err, errTorn) {
				if errors.Is(err, errTorn) && sealed {
					s.logger.Warn("spool segment ends in a torn record; skipped", "segment", path, "offset", fr.off)
				}
				break
			}
			c.off = fr.off
			if errors.Is(err, errBadCRC) {
				s.logger.Warn("spool record fails its checksum; skipped", "segment", path, "offset", fr.off)
				continue
			}
			if seq < c.from {
				continue
			}
			fn(seq, payload)
			n++
		}
		if n >= max {
			return n, nil
		}
		if !sealed {
			return n, nil // the end of what is written
		}
		c.segFirst, c.off = first+1, 0
	}
	return n, nil
}

// caughtUp runs fn under the spool lock if the cursor has read everything appended, so no
// append can slip between the check and fn.
func (s *spool) caughtUp(c *cursor, fn func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	act := s.segs[len(s.segs)-1]
	// read only leaves a segment once it is sealed and read through, so a cursor at the end
	// of the active segment has seen every record.
	if c.segFirst == act.first && c.off == act.size {
		fn()
		return true
	}
	return false
}

func (s *spool) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.flushLocked()
	if err == nil && s.policy != FsyncNever {
		err = s.active.Sync()
	}
	s.active.Close()
	s.markSynced(s.nextSeq - 1)
	s.unlock()
	return err
}

func (s *spool) unlock() {
	_ = syscall.Flock(int(s.lockFile.Fd()), syscall.LOCK_UN) // closing the file releases the lock anyway
	s.lockFile.Close()
}
