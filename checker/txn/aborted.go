package txn

import (
	"fmt"

	"github.com/kafkaesque/kafkaesque/checker"
)

// abortedReads finds reads (G1a) of values only an aborted transaction sent, or one that ended
// without asking to commit (so it cannot have committed), by any poll: a transaction's, or a
// plain one such as the final drain's. A read-committed consumer never returns them.
func abortedReads(a *analysis) []checker.Anomaly {
	c := a.Checker
	keep := func(k readKind) bool { return k == readAborted || k == readNeverCommits }
	return c.firstReads(keep, func(w int32, p *poll, k kid, rd read, kind readKind) checker.Anomaly {
		an := c.readAnomaly(checker.AbortedRead, w, p, k, rd)
		why := ""
		if kind == readNeverCommits {
			why = " and ended without asking to commit, so it cannot have committed"
		}
		an.Explanation = fmt.Sprintf("%s sent %q to %s%s, but %s read it at offset %d",
			c.label(w), c.values[rd.val], c.keyNames[c.sentTo[rd.val]], why, c.readerLabel(p), rd.offset)
		return an
	})
}
