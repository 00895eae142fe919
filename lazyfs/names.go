package lazyfs

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Directory entry changes. Each one records the durable entries of the directories it changes
// (once per fsync of the directory) before it runs, under the layer's lock.

// Change runs op, which changes entries of the directories dirs (create, mkdir, mknod, symlink,
// link), after recording their durable entries. It is how the FUSE side wraps the loopback's
// own operations.
func (l *Layer) Change(dirs []string, op func() error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range dirs {
		if _, err := l.recordDir(d); err != nil {
			return err
		}
	}
	return op()
}

// recordDir keeps the durable entries of directory rel, unless already kept; it returns the
// directory's inode.
func (l *Layer) recordDir(rel string) (uint64, error) {
	fd, err := unix.Open(l.abs(rel), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, err
	}
	if _, ok := l.dirs[st.Ino]; ok {
		return st.Ino, nil
	}
	entries, err := readEntries(fd)
	if err != nil {
		return 0, err
	}
	l.dirs[st.Ino] = entries
	for _, ino := range entries {
		l.refs[ino]++
	}
	return st.Ino, nil
}

// Create opens (creating it if needed) name in dir with flags and mode, and returns the
// open backing file and its inode. O_TRUNC of an existing file is a tracked truncate.
func (l *Layer) Create(dir, name string, flags int, mode uint32) (int, uint64, error) {
	var fd int
	var ino uint64
	err := l.Change([]string{dir}, func() error {
		var err error
		fd, ino, err = l.openLocked(filepath.Join(dir, name), flags|unix.O_CREAT, mode)
		return err
	})
	return fd, ino, err
}

// Open opens file rel with flags (O_TRUNC is a tracked truncate; O_DIRECT is dropped, as the
// layer's copies need no alignment) and returns the open backing file and its inode.
func (l *Layer) Open(rel string, flags int) (int, uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.openLocked(rel, flags, 0)
}

func (l *Layer) openLocked(rel string, flags int, mode uint32) (int, uint64, error) {
	var before unix.Stat_t
	existed := unix.Lstat(l.abs(rel), &before) == nil
	trunc := flags&unix.O_TRUNC != 0
	flags &^= unix.O_TRUNC | unix.O_DIRECT
	fd, err := -1, error(unix.EACCES)
	if flags&unix.O_ACCMODE == unix.O_WRONLY {
		// Saving what a write overwrites needs reads; root may read what it may write.
		fd, err = unix.Open(l.abs(rel), flags&^unix.O_ACCMODE|unix.O_RDWR, mode)
	}
	if err == unix.EACCES {
		fd, err = unix.Open(l.abs(rel), flags, mode)
	}
	if err != nil {
		return -1, 0, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, 0, err
	}
	s := l.fileLocked(st.Ino)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !existed:
		s.newFile()
	case trunc && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size > 0:
		if err := s.truncate(fd, 0); err != nil {
			unix.Close(fd)
			return -1, 0, err
		}
	}
	return fd, st.Ino, nil
}

// Mkdir makes directory name in dir.
func (l *Layer) Mkdir(dir, name string, mode uint32) error {
	return l.Change([]string{dir}, func() error { return unix.Mkdir(l.abs(filepath.Join(dir, name)), mode) })
}

// Unlink removes name from dir. An inode a durable entry names moves to the state directory.
func (l *Layer) Unlink(dir, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.recordDir(dir); err != nil {
		return err
	}
	p := l.abs(filepath.Join(dir, name))
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return unix.EISDIR
	}
	if st.Nlink == 1 && l.refs[st.Ino] > 0 {
		return l.bury(p, st.Ino, unix.Rename)
	}
	if err := unix.Unlink(p); err != nil {
		return err
	}
	if st.Nlink == 1 {
		delete(l.files, st.Ino)
	}
	return nil
}

// Rmdir removes the empty directory name from dir. A directory a durable entry names moves to
// the state directory.
func (l *Layer) Rmdir(dir, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.recordDir(dir); err != nil {
		return err
	}
	return l.removeDirLocked(l.abs(filepath.Join(dir, name)))
}

func (l *Layer) removeDirLocked(p string) error {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	if l.refs[st.Ino] == 0 {
		if err := unix.Rmdir(p); err != nil {
			return err
		}
		l.dropDir(st.Ino)
		return nil
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return unix.ENOTEMPTY
	}
	return l.bury(p, st.Ino, unix.Rename)
}

// bury keeps inode ino, now at p, in the state directory, by move (rename) or by link.
func (l *Layer) bury(p string, ino uint64, how func(from, to string) error) error {
	l.seq++
	name := fmt.Sprintf("grave-%d-%d", ino, l.seq)
	if err := how(p, filepath.Join(l.state, name)); err != nil {
		return err
	}
	if _, ok := l.grave[ino]; !ok {
		l.grave[ino] = name
	}
	return nil
}

// Rename renames name in dir to newName in newDir, with renameat2's flags (RENAME_NOREPLACE,
// RENAME_EXCHANGE). A durable inode that the rename replaces is kept in the state directory.
func (l *Layer) Rename(dir, name, newDir, newName string, flags uint) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.recordDir(dir); err != nil {
		return err
	}
	if _, err := l.recordDir(newDir); err != nil {
		return err
	}
	from, to := l.abs(filepath.Join(dir, name)), l.abs(filepath.Join(newDir, newName))
	var src, dst unix.Stat_t
	if err := unix.Lstat(from, &src); err != nil {
		return err
	}
	replaced := flags == 0 && unix.Lstat(to, &dst) == nil && dst.Ino != src.Ino
	if replaced {
		isDir := dst.Mode&unix.S_IFMT == unix.S_IFDIR
		if isDir != (src.Mode&unix.S_IFMT == unix.S_IFDIR) {
			if isDir {
				return unix.EISDIR
			}
			return unix.ENOTDIR
		}
		switch {
		case isDir:
			if err := l.removeDirLocked(to); err != nil {
				return err
			}
		case dst.Nlink == 1 && l.refs[dst.Ino] > 0:
			if err := l.bury(to, dst.Ino, unix.Link); err != nil {
				return err
			}
		}
	}
	if err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, flags); err != nil {
		return err
	}
	if replaced && dst.Nlink == 1 && l.refs[dst.Ino] == 0 {
		delete(l.files, dst.Ino)
	}
	return nil
}
