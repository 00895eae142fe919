package lazyfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// requireFUSE skips without /dev/fuse or root (mount(2) needs CAP_SYS_ADMIN), saying why; under
// CI (CI=true) it fails instead.
func requireFUSE(t *testing.T) {
	t.Helper()
	reason := ""
	if _, err := os.Stat("/dev/fuse"); err != nil {
		reason = "no /dev/fuse: " + err.Error()
	} else if os.Geteuid() != 0 {
		reason = "not root: mounting FUSE without fusermount needs CAP_SYS_ADMIN"
	}
	if reason == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and FUSE is unavailable: %s", reason)
	}
	t.Skipf("skipping: needs FUSE (%s)", reason)
}

func mountForTest(t *testing.T, files map[string]string) (*Mount, string) {
	t.Helper()
	requireFUSE(t)
	f := newFixture(t, files)
	point := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(point, 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := NewMount(f.l, point)
	if err != nil {
		t.Fatalf("mount: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m, point
}

func writeFile(t *testing.T, p, content string, fsync bool) {
	t.Helper()
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.WriteString(content); err != nil {
		t.Fatal(err)
	}
	if fsync {
		if err := fh.Sync(); err != nil {
			t.Fatal(err)
		}
	}
}

func fsyncDir(t *testing.T, p string) {
	t.Helper()
	d, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		t.Fatalf("fsync of directory %s: %v", p, err)
	}
}

// mmapWrite has a child process map the file at p (size bytes), copy data at off into the
// mapping, msync it when asked, and unmap it. Not this process: a page fault on a FUSE mapping
// served by the same Go process can deadlock with the garbage collector's stop-the-world.
func mmapWrite(t *testing.T, p string, size int, off int, data string, msync bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("LAZYFS_TEST_MMAP=%s|%d|%d|%s|%t", p, size, off, data, msync))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mmap writer: %v: %s", err, out)
	}
}

// TestMain is the mmap writer when LAZYFS_TEST_MMAP is set (see mmapWrite).
func TestMain(m *testing.M) {
	if spec := os.Getenv("LAZYFS_TEST_MMAP"); spec != "" {
		if err := mmapChild(strings.Split(spec, "|")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func mmapChild(f []string) error {
	size, _ := strconv.Atoi(f[1])
	off, _ := strconv.Atoi(f[2])
	fh, err := os.OpenFile(f[0], os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer fh.Close()
	mem, err := unix.Mmap(int(fh.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return err
	}
	copy(mem[off:], f[3])
	if f[4] == "true" {
		if err := unix.Msync(mem, unix.MS_SYNC); err != nil {
			return err
		}
	}
	return unix.Munmap(mem)
}

func TestFUSELoseDropsExactlyTheUnfsyncedState(t *testing.T) {
	idx := make([]byte, 2*pageSize)
	m, mnt := mountForTest(t, map[string]string{"p/cp": "old", "p/seg": "seg|", "p/idx": string(idx), "p/old": "x"})
	p := func(name string) string { return filepath.Join(mnt, "p", name) }

	// Appends: one fsynced, one not.
	seg, err := os.OpenFile(p("seg"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	seg.WriteString("synced|")
	if err := seg.Sync(); err != nil {
		t.Fatal(err)
	}
	seg.WriteString("lost")
	seg.Close()
	// mmap: a page msynced (MS_SYNC is fsync of the range), a page left to writeback.
	mmapWrite(t, p("idx"), len(idx), 0, "kept", true)
	mmapWrite(t, p("idx"), len(idx), pageSize, "gone", false)
	// Entries: a checkpoint renamed over with the directory fsynced, a file created without.
	writeFile(t, p("cp.tmp"), "new", true)
	if err := os.Rename(p("cp.tmp"), p("cp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p("old")); err != nil {
		t.Fatal(err)
	}
	fsyncDir(t, filepath.Join(mnt, "p"))
	writeFile(t, p("unnamed"), "fsynced, but its name is not", true)
	if err := os.Mkdir(p("dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Read everything once, so the kernel caches the un-fsynced state.
	if b, _ := os.ReadFile(p("seg")); string(b) != "seg|synced|lost" {
		t.Fatalf("read back %q before the loss", b)
	}
	if fi, err := os.Stat(p("seg")); err != nil || fi.Size() != 15 {
		t.Fatalf("stat before the loss: %v, %v", fi, err)
	}

	st, err := m.Layer.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Entries != 2 || st.Bytes < 4+4 {
		t.Fatalf("stats before the loss = %+v, want 2 entries and at least 8 bytes", st)
	}
	res, err := m.Lose(5 * time.Second)
	if err != nil {
		t.Fatalf("lose: %v", err)
	}
	if res.Entries != 2 || res.Bytes != st.Bytes {
		t.Fatalf("lose = %+v, stats said %+v", res, st)
	}

	// The kernel's caches (attributes, entries, pages) are gone with the old mount.
	if fi, err := os.Stat(p("seg")); err != nil || fi.Size() != int64(len("seg|synced|")) {
		t.Fatalf("stat right after the loss: %v, %v", fi, err)
	}
	wantIdx := make([]byte, 2*pageSize)
	copy(wantIdx, "kept")
	want := map[string]string{"cp": "new", "seg": "seg|synced|", "idx": string(wantIdx)}
	entries, err := os.ReadDir(filepath.Join(mnt, "p"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("after the loss p holds %v, want %d names", names, len(want))
	}
	for name, content := range want {
		b, err := os.ReadFile(p(name))
		if err != nil || !bytes.Equal(b, []byte(content)) {
			t.Errorf("after the loss %s = %.40q (%v), want %.40q", name, b, err, content)
		}
	}
	if res, err := m.Lose(5 * time.Second); err != nil || res != (Result{}) {
		t.Fatalf("a second loss dropped %+v (%v)", res, err)
	}
}

func TestFUSELoseWaitsForOpenFilesThenRefuses(t *testing.T) {
	m, mnt := mountForTest(t, map[string]string{"f": "x"})
	fh, err := os.Open(filepath.Join(mnt, "f"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Lose(300 * time.Millisecond); err == nil {
		t.Fatal("lose went ahead with a file open in the mount")
	}
	fh.Close()
	if _, err := os.ReadFile(filepath.Join(mnt, "f")); err != nil {
		t.Fatalf("the mount is gone after a refused loss: %v", err)
	}
}

// The mount has no extended attributes, and a file read while another descriptor appends to it
// sees every append (the page cache is kept across mtime changes, never stale).
func TestFUSEAppendsReadBackWithoutXattrs(t *testing.T) {
	_, point := mountForTest(t, nil)
	p := filepath.Join(point, "log")
	w, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 3)
	for i := range 2000 {
		rec := []byte{byte('a' + i%26), byte('0' + i%10), '\n'}
		if _, err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadAt(buf, int64(3*i)); err != nil || string(buf) != string(rec) {
			t.Fatalf("record %d read back as %q (%v), want %q", i, buf, err, rec)
		}
	}
	if _, err := unix.Getxattr(p, "user.k", make([]byte, 16)); !errors.Is(err, unix.ENOTSUP) {
		t.Errorf("getxattr: %v, want ENOTSUP", err)
	}
	if err := unix.Setxattr(p, "user.k", []byte("v"), 0); !errors.Is(err, unix.ENOTSUP) {
		t.Errorf("setxattr: %v, want ENOTSUP", err)
	}
}
