package sweep

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// Cell is one configuration of the sweep: the shared flags and its own.
type Cell struct {
	Index int    // 1-based, in the matrix's order: the cross product first, then include
	Name  string // its own flags ("acks=1 nemesis=isolate-leader"), or "shared flags" if none
	Own   []Flag // the flags that make it this cell
	Flags []Flag // every flag: the shared ones, then Own
}

// Cells expands the matrix: the cross product of its axes (the first axis varying slowest)
// without the excluded cells, then the included ones. extra are flags given outside the file
// (the command line's), shared by every cell like the file's own.
func (m *Matrix) Cells(extra []Flag) ([]Cell, error) {
	shared := slices.Concat(m.Flags, extra)
	if err := noConflict(m.Flags, extra, "the matrix's flags", "the command line"); err != nil {
		return nil, err
	}
	var owns [][]Flag
	if len(m.Axes) > 0 {
		owns = crossProduct(m.Axes)
		owns = slices.DeleteFunc(owns, func(own []Flag) bool {
			return slices.ContainsFunc(m.Exclude, func(x []Flag) bool { return matches(own, x) })
		})
		if len(owns) == 0 {
			return nil, errors.New("matrix: exclude leaves out every cell of the cross product")
		}
		for i, x := range m.Exclude {
			if !slices.ContainsFunc(crossProduct(m.Axes), func(own []Flag) bool { return matches(own, x) }) {
				return nil, fmt.Errorf("matrix: exclude[%d] (%s) matches no cell: a misspelled value?", i, flagsName(x))
			}
		}
	}
	owns = append(owns, m.Include...)
	if len(owns) == 0 {
		owns = [][]Flag{nil} // the shared flags alone
	}
	var cells []Cell
	seen := map[string]int{}
	for i, own := range owns {
		for _, a := range []struct {
			flags []Flag
			what  string
		}{{m.Flags, "the matrix's flags"}, {extra, "the command line"}} {
			if err := noConflict(a.flags, own, a.what, "cell "+flagsName(own)); err != nil {
				return nil, err
			}
		}
		c := Cell{Index: i + 1, Name: flagsName(own), Own: own, Flags: slices.Concat(shared, own)}
		if prev, ok := seen[c.Name]; ok {
			return nil, fmt.Errorf("matrix: cells %d and %d are the same (%s)", prev, c.Index, c.Name)
		}
		seen[c.Name] = c.Index
		cells = append(cells, c)
	}
	return cells, nil
}

func crossProduct(axes []Axis) [][]Flag {
	owns := [][]Flag{nil}
	for _, a := range axes {
		var next [][]Flag
		for _, own := range owns {
			for _, values := range a.Values {
				cell := slices.Clone(own)
				for _, v := range values {
					cell = append(cell, Flag{a.Name, v})
				}
				next = append(next, cell)
			}
		}
		owns = next
	}
	return owns
}

// matches says whether a cell sets every flag of x to x's values.
func matches(own, x []Flag) bool {
	for _, name := range flagNames(x) {
		if !slices.Equal(valuesFor(own, name), valuesFor(x, name)) {
			return false
		}
	}
	return true
}

// noConflict refuses a flag set in two places, so no setting is silently replaced. A repeatable
// flag may be in both; the caller refuses the same key twice (--broker-config).
func noConflict(a, b []Flag, aName, bName string) error {
	for _, name := range flagNames(b) {
		if slices.ContainsFunc(a, func(f Flag) bool { return f.Name == name }) && !repeatable[name] {
			return fmt.Errorf("matrix: --%s is set both in %s and in %s", name, aName, bName)
		}
	}
	return nil
}

// repeatable are the run flags that may be given more than once.
var repeatable = map[string]bool{"broker-config": true}

func flagNames(flags []Flag) []string {
	var names []string
	for _, f := range flags {
		if !slices.Contains(names, f.Name) {
			names = append(names, f.Name)
		}
	}
	return names
}

func valuesFor(flags []Flag, name string) []string {
	var vs []string
	for _, f := range flags {
		if f.Name == name {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

func flagsName(flags []Flag) string {
	if len(flags) == 0 {
		return "shared flags"
	}
	parts := make([]string, len(flags))
	for i, f := range flags {
		parts[i] = f.String()
	}
	return strings.Join(parts, " ")
}

// Run is one run of the sweep: a cell's repeat, with its seed.
type Run struct {
	Index  int // 1-based, in the whole sweep's order (every cell's first repeat, then the second...)
	Cell   Cell
	Repeat int // 1 to the test count
	Seed   int64
}

// Name names the run's directory within a sweep: cell, repeat and seed.
func (r Run) Name() string {
	return fmt.Sprintf("c%02d-r%d-seed%d", r.Cell.Index, r.Repeat, r.Seed)
}

// Shard is `--shard I/N`: the runs whose 1-based index is I modulo N (N's share, I-th).
type Shard struct{ I, N int }

// ParseShard reads I/N; "" is the whole sweep (1/1).
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{1, 1}, nil
	}
	i, n, ok := strings.Cut(s, "/")
	si, err1 := strconv.Atoi(i)
	sn, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || sn < 1 || si < 1 || si > sn {
		return Shard{}, fmt.Errorf("--shard: want I/N with 1 <= I <= N (e.g. 2/4), got %q", s)
	}
	return Shard{si, sn}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// Whole says whether the shard is the whole sweep.
func (s Shard) Whole() bool { return s.N == 1 }

// Plan lists a sweep's runs: testCount repeats of every cell, in rounds (every cell once, then
// again), then keeps the shard's share, dealt round-robin so every shard gets a mix of cells.
// A run's seed depends only on the sweep's seed, its cell's name and its repeat: not on the
// shard, the cells' order or the machine, so shards of one sweep run what one sweep would.
// A cell that sets --seed itself runs that seed in every repeat.
func Plan(cells []Cell, testCount int, sweepSeed int64, shard Shard) []Run {
	var runs []Run
	index := 0
	for repeat := 1; repeat <= testCount; repeat++ {
		for _, c := range cells {
			index++
			if (index-1)%shard.N != shard.I-1 {
				continue
			}
			runs = append(runs, Run{Index: index, Cell: c, Repeat: repeat, Seed: RunSeed(sweepSeed, c, repeat)})
		}
	}
	return runs
}

// RunSeed derives a run's seed, in 1 to 999,999,999 like a run's own.
func RunSeed(sweepSeed int64, c Cell, repeat int) int64 {
	if vs := valuesFor(c.Flags, "seed"); len(vs) > 0 {
		if s, err := strconv.ParseInt(vs[len(vs)-1], 10, 64); err == nil && s > 0 {
			return s
		}
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%d", sweepSeed, c.Name, repeat)
	return int64(h.Sum64()%999_999_999) + 1
}
