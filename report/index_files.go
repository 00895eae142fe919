package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// writeAtomic writes dir/name through a temporary file of its own and a rename, so a reader
// (or a second writer: two runs finishing at once) never sees half a file.
func writeAtomic(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), 0o644)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// pointLatest makes resultsDir/latest a relative symlink to the run directory newest, replacing
// the old link atomically (a new link under a temporary name, renamed over it); with no runs it
// removes the link. It refuses to replace a latest that is not a symlink.
func pointLatest(resultsDir, newest string) error {
	path := filepath.Join(resultsDir, LatestLink)
	st, err := os.Lstat(path)
	switch {
	case err == nil && st.Mode()&os.ModeSymlink == 0:
		return fmt.Errorf("%s is not a symlink: not replacing it with a link to the newest run", path)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s: %w", LatestLink, err)
	}
	if newest == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", LatestLink, err)
		}
		return nil
	}
	if target, err := os.Readlink(path); err == nil && target == newest {
		return nil
	}
	tmp, err := os.MkdirTemp(resultsDir, "."+LatestLink+".tmp-*")
	if err != nil {
		return fmt.Errorf("%s: %w", LatestLink, err)
	}
	defer os.RemoveAll(tmp)
	link := filepath.Join(tmp, LatestLink)
	if err := os.Symlink(newest, link); err != nil {
		return fmt.Errorf("%s: %w", LatestLink, err)
	}
	if err := os.Rename(link, path); err != nil {
		return fmt.Errorf("%s: %w", LatestLink, err)
	}
	return nil
}
