package checker

import (
	"hash/maphash"
	"math"
	"unsafe"
)

// The history-wide table of values. A history of ten million operations has millions of
// values, each with a record that lives until the end: the records, their values' bytes and the
// index that finds a record by its value hold no pointer, so that the garbage collector has
// nothing to scan in them, and each costs no allocation of its own.

// recID numbers a value record: records are in Checker.recs, in chunks that never move.
type recID = int32

const (
	recBits  = 12
	recChunk = 1 << recBits
)

// rec returns record id.
func (c *Checker) rec(id recID) *valueRecord { return &c.recs[id>>recBits][id&(recChunk-1)] }

// newRecord makes a record of value v (v is copied) for key k.
func (c *Checker) newRecord(k *keyState, v []byte) recID {
	chunk, off := c.arena.add(v)
	return c.addRecord(k, chunk, off, uint32(len(v)))
}

// addRecord makes a record for key k of the value at arena chunk and off.
func (c *Checker) addRecord(k *keyState, chunk, off, n uint32) recID {
	if c.nrecs == math.MaxInt32 {
		panic("checker: more than 2^31-1 value records") // some hundreds of GB of them
	}
	if c.nrecs%recChunk == 0 {
		c.recs = append(c.recs, make([]valueRecord, recChunk))
	}
	id := recID(c.nrecs)
	c.nrecs++
	*c.rec(id) = valueRecord{id: id, invokeOp: -1, completeOp: -1, returnTime: never, firstRead: -1,
		drainOffset: -1, drainOp: -1, key: k.id, vchunk: chunk, voff: off, vlen: n}
	k.ids = append(k.ids, id)
	return id
}

// homeOf returns the first record made of r's value.
func (c *Checker) homeOf(r *valueRecord) recID {
	home, _, _ := c.values.find(c, bytesOf(c.str(r)))
	return home
}

// str is r's value. It shares the arena's bytes, which never change.
func (c *Checker) str(r *valueRecord) string {
	if r.vlen == 0 {
		return ""
	}
	return unsafe.String(&c.arena.chunks[r.vchunk][r.voff], int(r.vlen))
}

// valueArena holds the values' bytes in chunks that are never reallocated.
type valueArena struct {
	chunks [][]byte
}

const arenaChunk = 1 << 20

func (a *valueArena) add(v []byte) (chunk, off uint32) {
	n := len(a.chunks)
	if n == 0 || len(a.chunks[n-1])+len(v) > cap(a.chunks[n-1]) {
		a.chunks = append(a.chunks, make([]byte, 0, max(arenaChunk, len(v))))
		n++
	}
	off = uint32(len(a.chunks[n-1]))
	a.chunks[n-1] = append(a.chunks[n-1], v...)
	return uint32(n - 1), off
}

// valueIndex finds the first record made of a value: an open-addressing table of record ids,
// each with 32 bits of its value's hash so that most probes need not look at the value.
type valueIndex struct {
	slots []uint64 // hash<<32 | id+1; 0 is empty
	n     int
	seed  maphash.Seed
}

// find returns the record of value v, or -1, with v's hash and the slot v is in or would go in.
func (x *valueIndex) find(c *Checker, v []byte) (id recID, h uint64, slot int) {
	if len(x.slots) == 0 {
		return -1, 0, -1
	}
	h = maphash.Bytes(x.seed, v)
	mask := uint64(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := x.slots[i]
		if e == 0 {
			return -1, h, int(i)
		}
		if uint32(e>>32) == uint32(h>>32) {
			if id := recID(uint32(e) - 1); c.str(c.rec(id)) == string(v) {
				return id, h, int(i)
			}
		}
	}
}

// insert files record id under its value, which find did not find, giving its hash and slot.
func (x *valueIndex) insert(c *Checker, id recID, h uint64, slot int) {
	if slot < 0 || 4*(x.n+1) > 3*len(x.slots) {
		x.grow(c)
		v := c.str(c.rec(id))
		h = maphash.String(x.seed, v)
		mask := uint64(len(x.slots) - 1)
		slot = int(h & mask)
		for x.slots[slot] != 0 {
			slot = (slot + 1) & int(mask)
		}
	}
	x.slots[slot] = h>>32<<32 | uint64(uint32(id)+1)
	x.n++
}

func (x *valueIndex) grow(c *Checker) {
	old := x.slots
	if len(old) == 0 {
		x.seed = maphash.MakeSeed()
	}
	x.slots = make([]uint64, max(1024, 2*len(old)))
	mask := uint64(len(x.slots) - 1)
	for _, e := range old {
		if e == 0 {
			continue
		}
		h := maphash.String(x.seed, c.str(c.rec(recID(uint32(e)-1))))
		i := h & mask
		for x.slots[i] != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = e
	}
}
