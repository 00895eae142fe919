// Package lazyfs keeps the writes to a directory tree that were not fsynced apart, so that they
// can be dropped as a power cut would drop them (the model of LazyFS, github.com/dsrhaslab/lazyfs).
//
// The layer works on a backing directory and keeps it current: every write, truncate, create,
// rename and unlink goes through to it at once, so reads (and mmap, which the kernel serves from
// its own page cache) see the un-fsynced state, as a page cache would show it. What the layer adds
// is an undo record of the durable state, taken just before the first un-fsynced change:
//
//   - a regular file's durable content (per inode): its size, and the pages that an un-fsynced
//     write, truncate or hole punch changed. fsync or fdatasync of the file makes its current
//     content durable (drops the record).
//   - a directory's durable entries (per inode): the name -> inode map it had before its first
//     un-fsynced create, link, symlink, mknod, mkdir, rename or unlink. fsync of the directory
//     makes its current entries durable. An inode that a durable entry names is never deleted
//     while that entry may come back: unlink and rmdir move it into the state directory
//     instead, and rename over it keeps a link to it there.
//
// Lose reverts the backing tree to the durable state (entries first, then file content) and
// removes whatever only un-fsynced entries named; Sync makes everything durable. The state at
// New is taken as durable. docs/lazyfs.md says what this model loses compared with a real power
// cut on a real filesystem.
package lazyfs

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// Layer is the undo record over one backing directory. Its methods take paths relative to the
// backing directory. It is safe for concurrent use.
type Layer struct {
	opts  Options
	root  string // the backing directory
	state string // where unlinked durable inodes wait; on the backing's filesystem, outside it

	mu    sync.Mutex
	files map[uint64]*fileState
	dirs  map[uint64]map[string]uint64 // directory inode -> its durable entries
	refs  map[uint64]int               // inode -> durable entries naming it
	grave map[uint64]string            // inode -> its name in state, when moved there
	seq   int
}

// Options choose between models of when directory entries become durable.
type Options struct {
	// Journal makes any fsync (of a file or a directory) make every directory entry change
	// made before it durable, as a journaling filesystem's commit does (ext4, xfs: one fsync
	// commits the running transaction, which holds all earlier metadata changes). Without it
	// (the default, LazyFS's and POSIX's model) a directory's entries become durable only when
	// that directory is fsynced.
	Journal bool
}

// Stats is what the layer holds that is not durable.
type Stats struct {
	Bytes   int64 `json:"bytes"`   // file bytes that differ from their durable content
	Files   int   `json:"files"`   // files with such bytes
	Entries int   `json:"entries"` // directory entries that differ from their durable state
	Dirs    int   `json:"dirs"`    // directories with such entries
}

// New starts a layer over root, with state as its state directory (created, emptied; it must be
// on root's filesystem, outside root). The current content of root is taken as durable.
func New(root, state string, opts Options) (*Layer, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if state, err = filepath.Abs(state); err != nil {
		return nil, err
	}
	if rel, err := filepath.Rel(root, state); err == nil && filepath.IsLocal(rel) {
		return nil, fmt.Errorf("lazyfs: state directory %s is inside the backing directory %s", state, root)
	}
	var rs, ss unix.Stat_t
	if err := unix.Stat(root, &rs); err != nil {
		return nil, fmt.Errorf("lazyfs: backing directory: %w", err)
	}
	if err := os.RemoveAll(state); err != nil {
		return nil, fmt.Errorf("lazyfs: clearing state directory: %w", err)
	}
	if err := os.MkdirAll(state, 0o700); err != nil {
		return nil, fmt.Errorf("lazyfs: state directory: %w", err)
	}
	if err := unix.Stat(state, &ss); err != nil {
		return nil, err
	}
	probe := filepath.Join(root, ".lazyfs-probe")
	if err := os.WriteFile(probe, nil, 0o600); err != nil {
		return nil, fmt.Errorf("lazyfs: backing directory is not writable: %w", err)
	}
	err = os.Rename(probe, filepath.Join(state, "probe"))
	os.Remove(probe)
	os.Remove(filepath.Join(state, "probe"))
	if err != nil {
		return nil, fmt.Errorf("lazyfs: state directory %s must be on the backing directory's filesystem (rename between them: %w)", state, err)
	}
	l := &Layer{opts: opts, root: root, state: state}
	l.reset()
	return l, nil
}

// Root is the backing directory.
func (l *Layer) Root() string { return l.root }

func (l *Layer) reset() {
	l.files = map[uint64]*fileState{}
	l.dirs = map[uint64]map[string]uint64{}
	l.refs = map[uint64]int{}
	l.grave = map[uint64]string{}
}

func (l *Layer) abs(rel string) string { return filepath.Join(l.root, rel) }

// file is the state of inode ino, made on first use.
func (l *Layer) file(ino uint64) *fileState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fileLocked(ino)
}

func (l *Layer) fileLocked(ino uint64) *fileState {
	s := l.files[ino]
	if s == nil {
		s = &fileState{}
		l.files[ino] = s
	}
	return s
}

// Write writes data at off to the open backing file fd (inode ino).
func (l *Layer) Write(fd int, ino uint64, data []byte, off int64) (int, error) {
	s := l.file(ino)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.write(fd, data, off)
}

// Truncate sets the size of the open backing file fd (inode ino).
func (l *Layer) Truncate(fd int, ino uint64, size int64) error {
	s := l.file(ino)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.truncate(fd, size)
}

// Allocate runs fallocate on the open backing file fd (inode ino).
func (l *Layer) Allocate(fd int, ino uint64, off, length int64, mode uint32) error {
	s := l.file(ino)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allocate(fd, off, length, mode)
}

// Fsync makes the content of the open backing file fd (inode ino) durable: fsync (or fdatasync)
// of the backing file, then the undo record is dropped.
func (l *Layer) Fsync(fd int, ino uint64, datasync bool) error {
	s := l.file(ino)
	sync := unix.Fsync
	if datasync {
		sync = unix.Fdatasync
	}
	s.mu.Lock()
	err := sync(fd)
	if err == nil {
		s.clean()
	}
	s.mu.Unlock() // before l.mu: openLocked takes l.mu, then a file's mu
	if err == nil && l.opts.Journal {
		l.mu.Lock()
		l.commitEntries()
		l.mu.Unlock()
	}
	return err
}

// commitEntries makes every directory's entries durable (a journal commit).
func (l *Layer) commitEntries() {
	for dir := range l.dirs {
		l.dropDir(dir)
	}
}

// FsyncDir makes the entries of directory rel durable.
func (l *Layer) FsyncDir(rel string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	fd, err := unix.Open(l.abs(rel), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Fsync(fd); err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if l.opts.Journal {
		l.commitEntries()
	} else {
		l.dropDir(st.Ino)
	}
	return nil
}

// dropDir forgets directory ino's durable entries; inodes no durable entry names any more
// leave the state directory.
func (l *Layer) dropDir(ino uint64) {
	entries, ok := l.dirs[ino]
	if !ok {
		return
	}
	delete(l.dirs, ino)
	for _, child := range entries {
		l.refs[child]--
		if l.refs[child] > 0 {
			continue
		}
		delete(l.refs, child)
		if name, ok := l.grave[child]; ok {
			delete(l.grave, child)
			os.RemoveAll(filepath.Join(l.state, name))
			delete(l.files, child)
			l.dropDir(child)
		}
	}
}

// Stats reports what is not durable.
func (l *Layer) Stats() (Stats, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.statsLocked()
}

func (l *Layer) statsLocked() (Stats, error) {
	var st Stats
	for _, f := range l.files {
		f.mu.Lock()
		if b := f.pending(); b > 0 {
			st.Bytes += b
			st.Files++
		}
		f.mu.Unlock()
	}
	t, err := walk(l.root, l.state)
	if err != nil {
		return st, err
	}
	defer t.close()
	for dir, durable := range l.dirs {
		fd, ok := t.dirFD[dir]
		if !ok {
			continue
		}
		current, err := readEntries(fd)
		if err != nil {
			return st, err
		}
		if n := len(differing(durable, current)); n > 0 {
			st.Entries += n
			st.Dirs++
		}
	}
	return st, nil
}
