package txn

import "github.com/kafkaesque/kafkaesque/checker"

// intSends finds, within one committed transaction, consecutive sends to a key with another
// committed value between them in the key's version order (int-send-skip: Kafka interleaves
// transactions' writes, so this is expected, see Allowed) or at decreasing offsets
// (int-nonmonotonic-send).
func intSends(a *analysis) []checker.Anomaly {
	var out []checker.Anomaly
	for i := range a.txns {
		if !a.committed[i] {
			continue
		}
		sends := a.sendsOf(&a.txns[i])
		for j, s2 := range sends {
			i2 := a.index(s2.key, s2.val)
			for h := j - 1; h >= 0; h-- { // the transaction's previous send to the key
				s1 := sends[h]
				if s1.key != s2.key {
					continue
				}
				i1 := a.index(s1.key, s1.val)
				if i1 >= 0 && i2 >= 0 {
					if an, ok := a.intStep(int32(i), s2.key, s1.val, s1.offset, i1, read{s2.offset, s2.val}, i2, "sent"); ok {
						out = append(out, an)
					}
				}
				break
			}
		}
	}
	return out
}
