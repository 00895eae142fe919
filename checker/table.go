package checker

import (
	"math"
	"slices"
)

// offsetTable maps a key's offsets to T. A partition's offsets are dense from its log start,
// so they index pages of a slice, with no per-entry overhead and no copying as the log grows; an
// offset far past the last page (or negative), which only a damaged log or a hand-made history
// shows, goes to a map. T's zero value means no entry. A pointer at returns is valid until the
// next call that creates an entry.
type offsetTable[T any] struct {
	pages  []*[pageSize]T
	sparse map[int64]*T
	// lowFar is the lowest non-negative offset in sparse (MaxInt64: none): when the pages grow
	// past it, the entries they now cover move into them.
	lowFar int64
}

const (
	pageBits = 12
	pageSize = 1 << pageBits
	// densePages is how many pages past the last one an offset may lie and still get pages.
	densePages = 4
)

// at returns the entry at offset o, or nil if there is none and create is false.
func (t *offsetTable[T]) at(o int64, create bool) *T {
	if o >= 0 {
		if p := o >> pageBits; p < int64(len(t.pages)) {
			return &t.pages[p][o&(pageSize-1)]
		}
	}
	if e := t.sparse[o]; e != nil || !create {
		return e
	}
	if p := o >> pageBits; o >= 0 && p < 2*int64(len(t.pages))+densePages {
		for int64(len(t.pages)) <= p {
			t.pages = append(t.pages, new([pageSize]T))
		}
		if t.sparse != nil && t.lowFar <= o {
			t.absorb()
		}
		return &t.pages[p][o&(pageSize-1)]
	}
	if t.sparse == nil {
		t.sparse, t.lowFar = map[int64]*T{}, math.MaxInt64
	}
	if o >= 0 {
		t.lowFar = min(t.lowFar, o)
	}
	e := new(T)
	t.sparse[o] = e
	return e
}

// covered is one past the highest offset the pages hold.
func (t *offsetTable[T]) covered() int64 { return int64(len(t.pages)) << pageBits }

// absorb moves the sparse entries the pages now cover into them.
func (t *offsetTable[T]) absorb() {
	t.lowFar = math.MaxInt64
	for o, e := range t.sparse {
		switch {
		case o >= 0 && o < t.covered():
			t.pages[o>>pageBits][o&(pageSize-1)] = *e
			delete(t.sparse, o)
		case o >= 0:
			t.lowFar = min(t.lowFar, o)
		}
	}
}

// all yields every offset with its entry, zero entries included, in order of offset.
func (t *offsetTable[T]) all(yield func(int64, *T) bool) {
	var neg, far []int64
	for o := range t.sparse {
		if o < 0 {
			neg = append(neg, o)
		} else {
			far = append(far, o)
		}
	}
	slices.Sort(neg)
	slices.Sort(far)
	for _, o := range neg {
		if !yield(o, t.sparse[o]) {
			return
		}
	}
	for p, page := range t.pages {
		for i := range page {
			if !yield(int64(p)<<pageBits+int64(i), &page[i]) {
				return
			}
		}
	}
	for _, o := range far {
		if !yield(o, t.sparse[o]) {
			return
		}
	}
}
