package lazyfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Result is what Lose dropped or Sync made durable.
type Result struct {
	Bytes   int64 `json:"bytes"`   // file bytes that differed from their durable content
	Files   int   `json:"files"`   // files with such bytes
	Entries int   `json:"entries"` // directory entries that differed from their durable state
}

// place is where an inode was found: a directory (by inode) and a name in it.
type place struct {
	dir   uint64
	name  string
	isDir bool
}

// tree is the backing tree and the state directory, walked: an O_PATH descriptor of every
// directory (renames move directories, but their descriptors stay valid) and a place of every
// inode.
type tree struct {
	dirFD  map[uint64]int
	places map[uint64]place
	state  uint64 // the state directory's inode
}

func (t *tree) close() {
	for _, fd := range t.dirFD {
		unix.Close(fd)
	}
}

func walk(root, state string) (*tree, error) {
	t := &tree{dirFD: map[uint64]int{}, places: map[uint64]place{}}
	var visit func(fd int, ino uint64) error
	visit = func(fd int, ino uint64) error {
		t.dirFD[ino] = fd
		entries, err := readEntries(fd)
		if err != nil {
			return err
		}
		for name, child := range entries {
			var st unix.Stat_t
			if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return err
			}
			isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
			t.places[child] = place{dir: ino, name: name, isDir: isDir}
			if !isDir {
				continue
			}
			cfd, err := unix.Openat(fd, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
			if err != nil {
				return err
			}
			if err := visit(cfd, child); err != nil {
				return err
			}
		}
		return nil
	}
	// The state directory first: an inode with a name in both keeps its place in the tree.
	for i, dir := range []string{state, root} {
		fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
		if err != nil {
			t.close()
			return nil, err
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			t.close()
			return nil, err
		}
		if i == 0 {
			t.state = st.Ino
		}
		if err := visit(fd, st.Ino); err != nil {
			t.close()
			return nil, err
		}
	}
	return t, nil
}

// readEntries maps the names in the directory fd (an O_PATH or open descriptor) to inodes.
func readEntries(fd int) (map[string]uint64, error) {
	dfd, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dfd), "dir")
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	entries := make(map[string]uint64, len(names))
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return nil, err
		}
		entries[name] = st.Ino
	}
	return entries, nil
}

// differing lists the names bound differently in durable and current.
func differing(durable, current map[string]uint64) []string {
	var names []string
	for name, ino := range current {
		if d, ok := durable[name]; !ok || d != ino {
			names = append(names, name)
		}
	}
	for name := range durable {
		if _, ok := current[name]; !ok {
			names = append(names, name)
		}
	}
	return names
}

// Lose drops everything that is not durable, as a power cut would: directories get their
// durable entries back, files their durable content, and what only un-fsynced entries named is
// removed. Nothing may use the backing tree meanwhile (the FUSE side unmounts first).
func (l *Layer) Lose() (Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var res Result
	t, err := walk(l.root, l.state)
	if err != nil {
		return res, fmt.Errorf("lazyfs: walking the backing tree: %w", err)
	}
	defer func() { t.close() }() // t is walked again below
	stateFD := t.dirFD[t.state]
	// 1. Move every entry a durable state does not hold into the state directory.
	for dir, durable := range l.dirs {
		fd, ok := t.dirFD[dir]
		if !ok {
			continue // the directory itself is gone; no durable entry names it
		}
		current, err := readEntries(fd)
		if err != nil {
			return res, err
		}
		res.Entries += len(differing(durable, current))
		for name, ino := range current {
			if d, ok := durable[name]; ok && d == ino {
				continue
			}
			l.seq++
			staged := fmt.Sprintf("lost-%d", l.seq)
			if err := unix.Renameat(fd, name, stateFD, staged); err != nil {
				return res, fmt.Errorf("lazyfs: moving away %q: %w", name, err)
			}
			p := t.places[ino]
			t.places[ino] = place{dir: t.state, name: staged, isDir: p.isDir}
		}
	}
	// 2. Bring back every durable entry that is missing.
	var errs []error
	for dir, durable := range l.dirs {
		fd, ok := t.dirFD[dir]
		if !ok {
			continue
		}
		current, err := readEntries(fd)
		if err != nil {
			return res, err
		}
		for name, ino := range durable {
			if _, ok := current[name]; ok {
				continue
			}
			p, ok := t.places[ino]
			if !ok {
				errs = append(errs, fmt.Errorf("lazyfs: the durable entry %q names inode %d, which is gone", name, ino))
				continue
			}
			if p.isDir || p.dir == t.state {
				err = unix.Renameat(t.dirFD[p.dir], p.name, fd, name)
				t.places[ino] = place{dir: dir, name: name, isDir: p.isDir}
			} else {
				err = unix.Linkat(t.dirFD[p.dir], p.name, fd, name, 0)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("lazyfs: restoring %q: %w", name, err))
			}
		}
	}
	// 3. Durable file content back, for every file the tree now reaches.
	t.close()
	if t, err = walk(l.root, l.state); err != nil {
		return res, fmt.Errorf("lazyfs: walking the restored tree: %w", err)
	}
	for ino, s := range l.files {
		if s.pending() > 0 {
			res.Files++
		}
		p, ok := t.places[ino]
		if !ok || p.dir == t.state {
			res.Bytes += s.pending()
			continue // unreachable: removed below
		}
		fd, err := unix.Openat(t.dirFD[p.dir], p.name, unix.O_WRONLY|unix.O_NOFOLLOW, 0)
		if err != nil {
			errs = append(errs, fmt.Errorf("lazyfs: reopening %q to revert it: %w", p.name, err))
			continue
		}
		s.mu.Lock()
		n, err := s.revert(fd)
		s.mu.Unlock()
		unix.Close(fd)
		res.Bytes += n
		if err != nil {
			errs = append(errs, fmt.Errorf("lazyfs: reverting %q: %w", p.name, err))
		}
	}
	if err := l.clearState(); err != nil {
		errs = append(errs, err)
	}
	l.reset()
	return res, errors.Join(errs...)
}

// clearState empties the state directory.
func (l *Layer) clearState() error {
	entries, err := os.ReadDir(l.state)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(l.state, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Sync makes everything durable (syncfs of the backing filesystem, then every record is
// dropped) and reports what was not durable before. Writes that race with it may count as
// either.
func (l *Layer) Sync() (Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, err := l.statsLocked()
	if err != nil {
		return Result{}, err
	}
	fd, err := unix.Open(l.root, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return Result{}, err
	}
	defer unix.Close(fd)
	if err := unix.Syncfs(fd); err != nil {
		return Result{}, fmt.Errorf("lazyfs: syncfs: %w", err)
	}
	err = l.clearState()
	l.reset()
	return Result{Bytes: st.Bytes, Files: st.Files, Entries: st.Entries}, err
}
