package txn

import (
	"slices"

	"github.com/kafkaesque/kafkaesque/history"
)

// The arenas' views.

func (c *Checker) sendsOf(t *txn) []send       { return c.sendArena[t.s0:t.s1] }
func (c *Checker) pollsOf(t *txn) []poll       { return c.polls[t.p0:t.p1] }
func (c *Checker) keysOf(p *poll) []keyReads   { return c.keyArena[p.k0:p.k1] }
func (c *Checker) readsOf(kr *keyReads) []read { return c.readArena[kr.r0:kr.r1] }
func (t *txn) historyType() history.Type {
	return [...]history.Type{history.OK, history.Fail, history.Info, history.Invoke}[t.typ]
}

// Interning: a value or key is numbered the first time it is seen.

func (c *Checker) key(name string) kid {
	if k, ok := c.keyID[name]; ok {
		return k
	}
	k := kid(len(c.keyNames))
	c.keyID[name] = k
	c.keyNames = append(c.keyNames, name)
	return k
}

func (c *Checker) value(v string) vid {
	if id, ok := c.valueID[v]; ok {
		return id
	}
	id := vid(len(c.values))
	c.valueID[v] = id
	c.values = append(c.values, v)
	c.writer = append(c.writer, -1)
	c.sentTo = append(c.sentTo, -1)
	return id
}

// addReads files a poll's reads of key name.
func (c *Checker) addReads(name string, from int64, reads []history.Read) {
	kr := keyReads{key: c.key(name), from: from, r0: int32(len(c.readArena))}
	for _, rd := range reads {
		c.readArena = append(c.readArena, read{offset: rd.Offset, val: c.value(rd.Value)})
	}
	kr.r1 = int32(len(c.readArena))
	c.keyArena = append(c.keyArena, kr)
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
