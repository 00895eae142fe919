package lazyfs

import (
	"sort"
	"sync"

	"golang.org/x/sys/unix"
)

// pageSize is the granularity at which the durable content of overwritten bytes is kept.
const pageSize = 4096

// savedPage is the durable content of one page, read before its first un-fsynced change.
type savedPage struct {
	n    int    // bytes of the page that existed (a page at the durable end is short)
	data []byte // nil when all n bytes are zero
}

// span is a half-open byte range [from, to).
type span struct{ from, to int64 }

// fileState is what the layer knows of one regular file (by inode) since its last fsync.
// The backing file always holds the current content (what reads see); the durable content is
// the backing file as it was at the first un-fsynced change, kept as: its size, the size the
// file was cut down to since (truncate), and the pages that were overwritten or cut.
type fileState struct {
	mu          sync.Mutex
	dirty       bool
	durableSize int64
	minSize     int64 // the smallest size since the last fsync
	size        int64 // the current size
	pages       map[int64]savedPage
	changed     []span // sorted, disjoint: bytes written, punched or cut since the last fsync
}

// begin starts tracking at the first change since the last fsync: the file as it is now is
// its durable state.
func (s *fileState) begin(fd int) error {
	if s.dirty {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	s.dirty, s.durableSize, s.minSize, s.size = true, st.Size, st.Size, st.Size
	s.pages, s.changed = map[int64]savedPage{}, nil
	return nil
}

// clean forgets everything: the current content is durable.
func (s *fileState) clean() {
	s.dirty, s.pages, s.changed = false, nil, nil
}

// newFile marks a just-created file: durably, it is empty.
func (s *fileState) newFile() {
	s.dirty, s.durableSize, s.minSize, s.size = true, 0, 0, 0
	s.pages, s.changed = map[int64]savedPage{}, nil
}

// pending is the number of bytes a loss drops: bytes written (or punched) since the last fsync,
// and durable bytes cut by truncate. A file extended by truncate (a hole, as Kafka preallocates
// its indexes) counts for the bytes written into it, not for its new size.
func (s *fileState) pending() int64 {
	if !s.dirty {
		return 0
	}
	var n int64
	for _, c := range s.changed {
		n += c.to - c.from
	}
	return n
}

// savePage keeps page p's durable bytes unless already kept. Only pages that start below both
// the durable size and the smallest size are read here; a page straddling the smallest size was
// kept when the file was cut (cut saves the boundary page).
func (s *fileState) savePage(fd int, p int64) error {
	if _, ok := s.pages[p]; ok {
		return nil
	}
	off := p * pageSize
	n := min(int64(pageSize), s.durableSize-off)
	buf := make([]byte, n)
	got, err := unix.Pread(fd, buf, off)
	if err != nil {
		return err
	}
	buf = buf[:got]
	sp := savedPage{n: got, data: buf}
	if allZero(buf) {
		sp.data = nil
	}
	s.pages[p] = sp
	return nil
}

// preserve keeps the durable content of the pages in [from, to) that still hold it.
func (s *fileState) preserve(fd int, from, to int64) error {
	limit := min(s.minSize, s.durableSize)
	to = min(to, limit)
	for p := from / pageSize; p*pageSize < to; p++ {
		if err := s.savePage(fd, p); err != nil {
			return err
		}
	}
	return nil
}

// markChanged records [from, to) as changed.
func (s *fileState) markChanged(from, to int64) {
	if from >= to {
		return
	}
	s.changed = append(s.changed, span{from, to})
	sort.Slice(s.changed, func(i, j int) bool { return s.changed[i].from < s.changed[j].from })
	merged := s.changed[:1]
	for _, c := range s.changed[1:] {
		last := &merged[len(merged)-1]
		if c.from <= last.to {
			last.to = max(last.to, c.to)
			continue
		}
		merged = append(merged, c)
	}
	s.changed = merged
}

// keepBelow forgets changes at or past size: those bytes are gone (a truncate).
func (s *fileState) keepBelow(size int64) {
	kept := s.changed[:0]
	for _, c := range s.changed {
		if c.from < size {
			kept = append(kept, span{c.from, min(c.to, size)})
		}
	}
	s.changed = kept
}

// write writes data at off through fd, keeping what it overwrites.
func (s *fileState) write(fd int, data []byte, off int64) (int, error) {
	if err := s.begin(fd); err != nil {
		return 0, err
	}
	if err := s.preserve(fd, off, off+int64(len(data))); err != nil {
		return 0, err
	}
	n, err := unix.Pwrite(fd, data, off)
	if n > 0 {
		s.markChanged(off, off+int64(n))
		s.size = max(s.size, off+int64(n))
	}
	return n, err
}

// truncate sets the size through fd, keeping the durable bytes it cuts.
func (s *fileState) truncate(fd int, size int64) error {
	if err := s.begin(fd); err != nil {
		return err
	}
	if hi := min(s.minSize, s.durableSize); size < hi {
		if err := s.savePage(fd, size/pageSize); err != nil {
			return err
		}
		if err := s.saveData(fd, size, hi); err != nil {
			return err
		}
	}
	if err := unix.Ftruncate(fd, size); err != nil {
		return err
	}
	s.keepBelow(size)
	if size < s.durableSize {
		s.markChanged(size, s.durableSize)
	}
	s.minSize, s.size = min(s.minSize, size), size
	return nil
}

// saveData keeps the pages of [from, to) that hold data; holes read as zeros after the revert's
// truncate and extend, so they need no copy.
func (s *fileState) saveData(fd int, from, to int64) error {
	for off := from; off < to; {
		data, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if err == unix.ENXIO || (err == nil && data >= to) {
			return nil
		}
		if err != nil { // no SEEK_DATA: keep every page
			return s.preserve(fd, from, to)
		}
		hole, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil {
			return s.preserve(fd, from, to)
		}
		if err := s.preserve(fd, data, min(hole, to)); err != nil {
			return err
		}
		off = hole
	}
	return nil
}

// allocate runs fallocate through fd. Plain allocation changes no content (only, without
// KEEP_SIZE, the size); punching or zeroing a range changes it, so it is kept first. Modes that
// shift data (collapse, insert) are refused: the layer cannot undo them page by page.
func (s *fileState) allocate(fd int, off, length int64, mode uint32) error {
	const content = unix.FALLOC_FL_PUNCH_HOLE | unix.FALLOC_FL_ZERO_RANGE
	if mode&^(content|unix.FALLOC_FL_KEEP_SIZE) != 0 {
		return unix.EOPNOTSUPP
	}
	if err := s.begin(fd); err != nil {
		return err
	}
	if mode&content != 0 {
		if err := s.preserve(fd, off, off+length); err != nil {
			return err
		}
	}
	if err := unix.Fallocate(fd, mode, off, length); err != nil {
		return err
	}
	if mode&content != 0 {
		s.markChanged(off, min(off+length, max(s.size, s.durableSize)))
	}
	if mode&unix.FALLOC_FL_KEEP_SIZE == 0 {
		s.size = max(s.size, off+length)
	}
	return nil
}

// revert puts the durable content back through fd and returns the bytes that were pending.
func (s *fileState) revert(fd int) (int64, error) {
	lost := s.pending()
	if !s.dirty {
		return 0, nil
	}
	if err := unix.Ftruncate(fd, min(s.minSize, s.durableSize)); err != nil {
		return lost, err
	}
	if err := unix.Ftruncate(fd, s.durableSize); err != nil {
		return lost, err
	}
	for p, sp := range s.pages {
		buf := sp.data
		if buf == nil {
			buf = make([]byte, sp.n)
		}
		if _, err := unix.Pwrite(fd, buf, p*pageSize); err != nil {
			return lost, err
		}
	}
	s.clean()
	return lost, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
