package lazyfs

import (
	"fmt"
	"math/rand"
	"path/filepath"
	"sort"
	"testing"

	"golang.org/x/sys/unix"
)

// ref is a reference model of the durability rules, independent of the layer's undo records:
// every inode keeps its current and its durable state side by side.
type ref struct {
	nodes map[int]*refNode
	next  int
}

type refNode struct {
	dir              bool
	data, durable    []byte
	entries, durEnts map[string]int
}

func newRef() *ref {
	return &ref{nodes: map[int]*refNode{0: {dir: true, entries: map[string]int{}, durEnts: map[string]int{}}}}
}

func (r *ref) add(dir bool) int {
	r.next++
	n := &refNode{dir: dir}
	if dir {
		n.entries, n.durEnts = map[string]int{}, map[string]int{}
	}
	r.nodes[r.next] = n
	return r.next
}

// paths lists the current paths of files and of directories.
func (r *ref) paths() (files, dirs []string, ids map[string]int) {
	ids = map[string]int{".": 0}
	dirs = []string{"."}
	var visit func(id int, p string)
	visit = func(id int, p string) {
		names := sortedNames(r.nodes[id].entries)
		for _, name := range names {
			c := r.nodes[id].entries[name]
			cp := filepath.Join(p, name)
			ids[cp] = c
			if r.nodes[c].dir {
				dirs = append(dirs, cp)
				visit(c, cp)
			} else {
				files = append(files, cp)
			}
		}
	}
	visit(0, ".")
	return files, dirs, ids
}

// durableTree is what a loss must leave: path -> content ("/" for a directory).
func (r *ref) durableTree() map[string]string {
	out := map[string]string{}
	var visit func(id int, p string)
	visit = func(id int, p string) {
		for name, c := range r.nodes[id].durEnts {
			cp := filepath.Join(p, name)
			if r.nodes[c].dir {
				out[cp] = "/"
				visit(c, cp)
			} else {
				out[cp] = string(r.nodes[c].durable)
			}
		}
	}
	visit(0, "")
	return out
}

// commit makes every directory's entries durable (a journal commit).
func (r *ref) commit() {
	for _, n := range r.nodes {
		if n.dir {
			n.durEnts = copyEnts(n.entries)
		}
	}
}

// lose makes the reference's current state its durable one.
func (r *ref) lose() {
	for _, n := range r.nodes {
		if n.dir {
			n.entries = copyEnts(n.durEnts)
		} else {
			n.data = append([]byte(nil), n.durable...)
		}
	}
}

func copyEnts(m map[string]int) map[string]int {
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func sortedNames(m map[string]int) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// TestLayerAgreesWithReferenceModel runs random operations through the layer and the reference
// model (half of the seeds with Journal), loses the un-fsynced state every 40 operations, and compares the trees.
func TestLayerAgreesWithReferenceModel(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		journal := seed%2 == 0
		t.Run(fmt.Sprintf("%d-journal=%t", seed, journal), func(t *testing.T) {
			runReference(t, rand.New(rand.NewSource(seed)), journal)
		})
	}
}

func runReference(t *testing.T, rng *rand.Rand, journal bool) {
	f := newFixtureWith(t, nil, Options{Journal: journal})
	r := newRef()
	var log []string
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s\nafter: %v", fmt.Sprintf(format, args...), log)
	}
	for step := 0; step < 200; step++ {
		files, dirs, ids := r.paths()
		dir := dirs[rng.Intn(len(dirs))]
		d := r.nodes[ids[dir]]
		name := fmt.Sprintf("n%d", rng.Intn(4))
		existing, exists := d.entries[name]
		op := rng.Intn(12)
		if len(files) == 0 && (op < 4 || op >= 9) {
			op = 4
		}
		var err error
		switch op {
		case 0, 1: // write
			p := files[rng.Intn(len(files))]
			n := r.nodes[ids[p]]
			off, buf := rng.Intn(3*pageSize), make([]byte, 1+rng.Intn(pageSize+100))
			rng.Read(buf)
			fd, ino := f.open(p, false)
			f.write(fd, ino, int64(off), string(buf))
			unix.Close(fd)
			if len(n.data) < off+len(buf) {
				n.data = append(n.data, make([]byte, off+len(buf)-len(n.data))...)
			}
			copy(n.data[off:], buf)
			log = append(log, fmt.Sprintf("write %s %d+%d", p, off, len(buf)))
		case 2: // truncate
			p := files[rng.Intn(len(files))]
			n := r.nodes[ids[p]]
			size := rng.Intn(3 * pageSize)
			fd, ino := f.open(p, false)
			f.must(f.l.Truncate(fd, ino, int64(size)))
			unix.Close(fd)
			if size < len(n.data) {
				n.data = n.data[:size]
			} else {
				n.data = append(n.data, make([]byte, size-len(n.data))...)
			}
			log = append(log, fmt.Sprintf("truncate %s %d", p, size))
		case 3: // fsync a file
			p := files[rng.Intn(len(files))]
			n := r.nodes[ids[p]]
			fd, ino := f.open(p, false)
			f.must(f.l.Fsync(fd, ino, false))
			unix.Close(fd)
			n.durable = append([]byte(nil), n.data...)
			if journal {
				r.commit()
			}
			log = append(log, "fsync "+p)
		case 4: // create
			if exists {
				continue
			}
			fd, _, e := f.l.Create(dir, name, unix.O_RDWR|unix.O_EXCL, 0o644)
			err = e
			unix.Close(fd)
			d.entries[name] = r.add(false)
			log = append(log, "create "+filepath.Join(dir, name))
		case 5: // mkdir, or rmdir of an empty directory
			if !exists {
				err = f.l.Mkdir(dir, name, 0o755)
				d.entries[name] = r.add(true)
				log = append(log, "mkdir "+filepath.Join(dir, name))
			} else if r.nodes[existing].dir && len(r.nodes[existing].entries) == 0 {
				err = f.l.Rmdir(dir, name)
				delete(d.entries, name)
				log = append(log, "rmdir "+filepath.Join(dir, name))
			}
		case 6: // unlink
			if exists && !r.nodes[existing].dir {
				err = f.l.Unlink(dir, name)
				delete(d.entries, name)
				log = append(log, "unlink "+filepath.Join(dir, name))
			}
		case 7: // rename a file anywhere (over a file), or a directory within its parent
			to := dirs[rng.Intn(len(dirs))]
			toName := fmt.Sprintf("n%d", rng.Intn(4))
			td := r.nodes[ids[to]]
			if !exists || (r.nodes[existing].dir && to != dir) {
				continue
			}
			if old, ok := td.entries[toName]; ok && (r.nodes[old].dir || r.nodes[existing].dir) {
				continue
			}
			err = f.l.Rename(dir, name, to, toName, 0)
			if td.entries[toName] != existing { // POSIX: renaming onto a link of itself does nothing
				delete(d.entries, name)
				td.entries[toName] = existing
			}
			log = append(log, fmt.Sprintf("rename %s %s", filepath.Join(dir, name), filepath.Join(to, toName)))
		case 9: // a hard link to a file, in any directory
			p := files[rng.Intn(len(files))]
			if exists {
				continue
			}
			err = f.l.Change([]string{dir}, func() error {
				return unix.Link(filepath.Join(f.root, p), filepath.Join(f.root, dir, name))
			})
			d.entries[name] = ids[p]
			log = append(log, fmt.Sprintf("link %s %s", p, filepath.Join(dir, name)))
		case 10: // open with O_TRUNC
			p := files[rng.Intn(len(files))]
			fd, _, e := f.l.Open(p, unix.O_WRONLY|unix.O_TRUNC)
			err = e
			unix.Close(fd)
			r.nodes[ids[p]].data = nil
			log = append(log, "open-trunc "+p)
		case 11: // punch a hole
			p := files[rng.Intn(len(files))]
			n := r.nodes[ids[p]]
			off, length := rng.Intn(3*pageSize), 1+rng.Intn(2*pageSize)
			fd, ino := f.open(p, false)
			err = f.l.Allocate(fd, ino, int64(off), int64(length), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE)
			unix.Close(fd)
			for i := off; i < min(off+length, len(n.data)); i++ {
				n.data[i] = 0
			}
			log = append(log, fmt.Sprintf("punch %s %d+%d", p, off, length))
		case 8: // fsync a directory
			f.must(f.l.FsyncDir(dir))
			d.durEnts = copyEnts(d.entries)
			if journal {
				r.commit()
			}
			log = append(log, "fsyncdir "+dir)
		}
		if err != nil {
			fail("step %d: %v", step, err)
		}
		if step%40 == 39 {
			if _, err := f.l.Lose(); err != nil {
				fail("lose: %v", err)
			}
			r.lose()
			got, want := f.tree(), r.durableTree()
			for k, v := range want {
				if got[k] != v {
					fail("after a loss %s differs: %d bytes, want %d; first difference at %d", k, len(got[k]), len(v), firstDiff(got[k], v))
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					fail("after a loss %s exists, want it gone", k)
				}
			}
			log = append(log, "LOSE")
		}
	}
}

func firstDiff(a, b string) int {
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
