package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// copyRunDir copies the run directory from to the new path to: into a temporary directory
// beside it, renamed when complete, so an interrupted merge leaves no half run behind.
func copyRunDir(from, to string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(to), ".merge-"+filepath.Base(to)+"-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // gone after the rename; left over only on failure
	var dirs []string       // directory mtimes are set last: copying into one changes it
	err = filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			st, err := d.Info()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Join(tmp, rel), 0o755); err != nil {
				return err
			}
			dirs = append(dirs, rel)
			return os.Chmod(filepath.Join(tmp, rel), st.Mode().Perm())
		}
		return copyEntry(path, filepath.Join(tmp, rel))
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		st, err := os.Stat(filepath.Join(from, dirs[i]))
		if err != nil {
			return err
		}
		if err := os.Chtimes(filepath.Join(tmp, dirs[i]), st.ModTime(), st.ModTime()); err != nil {
			return err
		}
	}
	return os.Rename(tmp, to)
}

// copyEntry gives to (which does not exist) from's contents and mtime: a symlink is made
// again, a regular file copied. Not hard-linked: a later check or report of the merged run
// rewrites some of its files in place, which must not change the source's.
func copyEntry(from, to string) error {
	st, err := os.Lstat(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(from)
		if err != nil {
			return err
		}
		return os.Symlink(target, to)
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s is neither a file, a directory nor a symlink", from)
	}
	tmp, err := os.CreateTemp(filepath.Dir(to), "."+filepath.Base(to)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename
	in, err := os.Open(from)
	if err != nil {
		tmp.Close()
		return err
	}
	_, cerr := io.Copy(tmp, in)
	if err := errors.Join(cerr, in.Close(), tmp.Close(), os.Chmod(tmp.Name(), st.Mode().Perm()),
		os.Chtimes(tmp.Name(), st.ModTime(), st.ModTime())); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), to)
}

// sameEntry compares two files or two symlinks (by their targets).
func sameEntry(a, b string) (bool, error) {
	sa, errA := os.Lstat(a)
	sb, errB := os.Lstat(b)
	if err := errors.Join(errA, errB); err != nil {
		return false, err
	}
	linkA, linkB := sa.Mode()&fs.ModeSymlink != 0, sb.Mode()&fs.ModeSymlink != 0
	switch {
	case linkA != linkB:
		return false, nil
	case linkA:
		ta, errA := os.Readlink(a)
		tb, errB := os.Readlink(b)
		return ta == tb, errors.Join(errA, errB)
	case sa.IsDir() || sb.IsDir():
		return false, nil
	}
	return sameFileContents(a, b)
}

// sameFileContents compares two files byte by byte (histories can be large: in chunks).
func sameFileContents(a, b string) (bool, error) {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if err := errors.Join(errA, errB); err != nil {
		return false, err
	}
	if os.SameFile(sa, sb) {
		return true, nil
	}
	if sa.Size() != sb.Size() {
		return false, nil
	}
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	bufA, bufB := make([]byte, 1<<16), make([]byte, 1<<16)
	for {
		na, errA := io.ReadFull(fa, bufA)
		nb, errB := io.ReadFull(fb, bufB)
		if !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		doneA := errors.Is(errA, io.EOF) || errors.Is(errA, io.ErrUnexpectedEOF)
		doneB := errors.Is(errB, io.EOF) || errors.Is(errB, io.ErrUnexpectedEOF)
		switch {
		case errA != nil && !doneA:
			return false, errA
		case errB != nil && !doneB:
			return false, errB
		case doneA || doneB:
			return doneA == doneB, nil
		}
	}
}
