package lazyfs

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"golang.org/x/sys/unix"
)

// fixture is a layer over a temp directory, driven the way the FUSE side drives it.
type fixture struct {
	t    *testing.T
	l    *Layer
	root string
}

func newFixture(t *testing.T, files map[string]string) *fixture {
	return newFixtureWith(t, files, Options{})
}

func newFixtureWith(t *testing.T, files map[string]string, opts Options) *fixture {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "backing")
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := New(root, filepath.Join(base, "state"), opts)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, l: l, root: root}
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// open opens rel (creating it in its directory when create is set) and returns fd and inode.
func (f *fixture) open(rel string, create bool) (int, uint64) {
	f.t.Helper()
	var fd int
	var ino uint64
	var err error
	if create {
		fd, ino, err = f.l.Create(filepath.Dir(rel), filepath.Base(rel), unix.O_RDWR, 0o644)
	} else {
		fd, ino, err = f.l.Open(rel, unix.O_RDWR)
	}
	f.must(err)
	f.t.Cleanup(func() { unix.Close(fd) })
	return fd, ino
}

func (f *fixture) write(fd int, ino uint64, off int64, s string) {
	f.t.Helper()
	n, err := f.l.Write(fd, ino, []byte(s), off)
	f.must(err)
	if n != len(s) {
		f.t.Fatalf("wrote %d of %d bytes", n, len(s))
	}
}

func (f *fixture) lose() Result {
	f.t.Helper()
	res, err := f.l.Lose()
	f.must(err)
	return res
}

// tree reads the backing tree: path -> content ("/" for a directory).
func (f *fixture) tree() map[string]string {
	f.t.Helper()
	got := map[string]string{}
	f.must(filepath.Walk(f.root, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == f.root {
			return err
		}
		rel, _ := filepath.Rel(f.root, p)
		if info.IsDir() {
			got[rel] = "/"
			return nil
		}
		b, err := os.ReadFile(p)
		got[rel] = string(b)
		return err
	}))
	return got
}

func (f *fixture) expectTree(want map[string]string) {
	f.t.Helper()
	got := f.tree()
	var diffs []string
	for k, v := range want {
		if got[k] != v {
			diffs = append(diffs, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, k)
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		f.t.Fatalf("tree differs at %v:\n got %q\nwant %q", diffs, got, want)
	}
}

func TestLoseDropsUnfsyncedAppend(t *testing.T) {
	f := newFixture(t, map[string]string{"log": "durable|"})
	fd, ino := f.open("log", false)
	f.write(fd, ino, 8, "synced|")
	f.must(f.l.Fsync(fd, ino, false))
	f.write(fd, ino, 15, "lost")
	if st, err := f.l.Stats(); err != nil || st.Bytes != 4 || st.Files != 1 || st.Entries != 0 {
		t.Fatalf("stats = %+v, %v; want 4 bytes in 1 file, no entries", st, err)
	}
	if res := f.lose(); res.Bytes != 4 || res.Files != 1 || res.Entries != 0 {
		t.Fatalf("lose = %+v, want 4 bytes of 1 file", res)
	}
	f.expectTree(map[string]string{"log": "durable|synced|"})
	if res := f.lose(); res != (Result{}) {
		t.Fatalf("a second lose dropped %+v", res)
	}
}

func TestLoseRestoresOverwrittenAndCutBytes(t *testing.T) {
	durable := bytes.Repeat([]byte("0123456789"), 2000) // 20000 bytes, five pages
	f := newFixture(t, map[string]string{"idx": string(durable)})
	fd, ino := f.open("idx", false)
	f.write(fd, ino, 5000, "XXXX")
	f.must(f.l.Truncate(fd, ino, 6000))
	f.write(fd, ino, 7000, "tail past the cut")
	f.must(f.l.Truncate(fd, ino, 30000))
	st, err := f.l.Stats()
	f.must(err)
	// 4 overwritten + 14000 cut (6000..20000; the tail written at 7000 is inside them); the
	// extension to 30000 is a hole, no bytes.
	if st.Bytes != 4+14000 {
		t.Fatalf("pending bytes = %d", st.Bytes)
	}
	f.lose()
	f.expectTree(map[string]string{"idx": string(durable)})
}

func TestLoseRestoresHolesAfterCutAndRewrite(t *testing.T) {
	f := newFixture(t, nil)
	fd, ino := f.open("sparse", true)
	f.must(unix.Ftruncate(fd, 3*pageSize)) // durable once fsynced: a hole
	_, err := unix.Pwrite(fd, []byte("data"), 2*pageSize)
	f.must(err)
	f.must(f.l.Fsync(fd, ino, true))
	f.must(f.l.FsyncDir("."))
	f.must(f.l.Truncate(fd, ino, 100))
	f.write(fd, ino, 200, "new bytes in the old hole")
	f.lose()
	want := make([]byte, 3*pageSize)
	copy(want[2*pageSize:], "data")
	f.expectTree(map[string]string{"sparse": string(want)})
}

func TestCreatedFileNeedsItsDirectoryFsynced(t *testing.T) {
	f := newFixture(t, map[string]string{"d/old": "x"})
	fd, ino := f.open("d/new", true)
	f.write(fd, ino, 0, "fsynced data")
	f.must(f.l.Fsync(fd, ino, false))
	st, err := f.l.Stats()
	f.must(err)
	if st.Entries != 1 || st.Dirs != 1 || st.Bytes != 0 {
		t.Fatalf("stats = %+v, want 1 entry in 1 dir, no bytes", st)
	}
	if res := f.lose(); res.Entries != 1 {
		t.Fatalf("lose = %+v, want 1 entry", res)
	}
	f.expectTree(map[string]string{"d": "/", "d/old": "x"})

	fd, ino = f.open("d/new", true)
	f.write(fd, ino, 0, "unsynced data")
	f.must(f.l.FsyncDir("d"))
	f.lose()
	f.expectTree(map[string]string{"d": "/", "d/old": "x", "d/new": ""})
}

func TestUnlinkedAndReplacedFilesComeBack(t *testing.T) {
	f := newFixture(t, map[string]string{"cp": "old checkpoint", "seg": "segment"})
	// The checkpoint pattern: write a temporary file, fsync it, rename it over the old one.
	fd, ino := f.open("cp.tmp", true)
	f.write(fd, ino, 0, "new checkpoint")
	f.must(f.l.Fsync(fd, ino, false))
	f.must(f.l.Rename(".", "cp.tmp", ".", "cp", 0))
	f.must(f.l.Unlink(".", "seg"))
	f.must(f.l.Mkdir(".", "sub", 0o755))
	if res := f.lose(); res.Entries != 3 { // cp re-bound, seg back, sub gone
		t.Fatalf("lose = %+v, want 3 entries", res)
	}
	f.expectTree(map[string]string{"cp": "old checkpoint", "seg": "segment"})

	fd, ino = f.open("cp.tmp", true)
	f.write(fd, ino, 0, "new checkpoint")
	f.must(f.l.Fsync(fd, ino, false))
	f.must(f.l.Rename(".", "cp.tmp", ".", "cp", 0))
	f.must(f.l.Unlink(".", "seg"))
	f.must(f.l.FsyncDir("."))
	if res := f.lose(); res != (Result{}) {
		t.Fatalf("after fsync of everything, lose dropped %+v", res)
	}
	f.expectTree(map[string]string{"cp": "new checkpoint"})
	if entries, _ := os.ReadDir(f.l.state); len(entries) != 0 {
		t.Fatalf("state directory keeps %d entries after the directory fsync", len(entries))
	}
}

func TestRenamedAndRemovedDirectoriesComeBack(t *testing.T) {
	f := newFixture(t, map[string]string{"topic-0/00.log": "records", "topic-1/00.log": "more"})
	// Kafka deletes a partition by renaming its directory, then removing it.
	f.must(f.l.Rename(".", "topic-0", ".", "topic-0.x-delete", 0))
	f.must(f.l.Unlink("topic-1", "00.log"))
	f.must(f.l.Rmdir(".", "topic-1"))
	f.lose()
	f.expectTree(map[string]string{"topic-0": "/", "topic-0/00.log": "records", "topic-1": "/", "topic-1/00.log": "more"})
}

func TestSyncMakesEverythingDurable(t *testing.T) {
	f := newFixture(t, map[string]string{"a": "1"})
	fd, ino := f.open("b", true)
	f.write(fd, ino, 0, "22")
	f.must(f.l.Unlink(".", "a"))
	res, err := f.l.Sync()
	f.must(err)
	if res.Bytes != 2 || res.Entries != 2 {
		t.Fatalf("sync = %+v, want 2 bytes and 2 entries", res)
	}
	if res := f.lose(); res != (Result{}) {
		t.Fatalf("after sync, lose dropped %+v", res)
	}
	f.expectTree(map[string]string{"b": "22"})
}

func TestNewRefusesStateInsideBacking(t *testing.T) {
	root := t.TempDir()
	if _, err := New(root, filepath.Join(root, "state"), Options{}); err == nil {
		t.Fatal("a state directory inside the backing directory was accepted")
	}
}

// A file opened write-only (echo >> file) is overwritten through the layer, which must read
// what it overwrites.
func TestWriteOnlyOpenKeepsOverwrittenBytes(t *testing.T) {
	f := newFixture(t, map[string]string{"f": "durable"})
	fd, ino, err := f.l.Open("f", unix.O_WRONLY)
	f.must(err)
	defer unix.Close(fd)
	f.write(fd, ino, 0, "LOST")
	f.lose()
	f.expectTree(map[string]string{"f": "durable"})
}

// With Journal, an fsync of any file commits every earlier entry change (ZooKeeper's snapshot
// directory, made by mkdir and never fsynced, survives the fsync of the snapshot in it); without
// it, it does not.
func TestJournalCommitsEntriesOnAnyFsync(t *testing.T) {
	for _, journal := range []bool{false, true} {
		f := newFixtureWith(t, map[string]string{"myid": "1"}, Options{Journal: journal})
		f.must(f.l.Mkdir(".", "version-2", 0o755))
		fd, ino := f.open("version-2/snapshot.0", true)
		f.write(fd, ino, 0, "snap")
		f.must(f.l.Fsync(fd, ino, false))
		fd2, ino2 := f.open("later", true)
		f.write(fd2, ino2, 0, "after the last fsync")
		f.lose()
		want := map[string]string{"myid": "1"}
		if journal {
			want = map[string]string{"myid": "1", "version-2": "/", "version-2/snapshot.0": "snap"}
		}
		f.expectTree(want)
	}
}

// Kafka preallocates an index (a 10 MiB hole) and writes a few entries: the bytes a loss drops
// are those entries, not the hole.
func TestPreallocatedHoleIsNoPendingBytes(t *testing.T) {
	f := newFixture(t, nil)
	fd, ino := f.open("00.index", true)
	f.must(f.l.Truncate(fd, ino, 10<<20))
	f.write(fd, ino, 0, "entry-01")
	st, err := f.l.Stats()
	f.must(err)
	if st.Bytes != 8 {
		t.Fatalf("pending bytes = %d, want the 8 written", st.Bytes)
	}
}
