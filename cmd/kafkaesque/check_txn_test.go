package main

import (
	"strings"
	"testing"
)

// Two concurrent transactions sending to two partitions in opposite orders (a G0 cycle, which
// Kafka allows), drained; and an aborted transaction's send read by a committed one.
const (
	txnG0 = `{"index":0,"time":0,"process":0,"type":"invoke","f":"txn","value":{"mops":[["send","t-0","a"],["send","t-1","d"]]}}
{"index":1,"time":1,"process":1,"type":"invoke","f":"txn","value":{"mops":[["send","t-0","b"],["send","t-1","c"]]}}
{"index":2,"time":3,"process":0,"type":"ok","f":"txn","value":{"mops":[["send","t-0",[0,"a"]],["send","t-1",[1,"d"]]],"commit_at":2}}
{"index":3,"time":5,"process":1,"type":"ok","f":"txn","value":{"mops":[["send","t-0",[1,"b"]],["send","t-1",[0,"c"]]],"commit_at":4}}
{"index":4,"time":6,"process":9,"type":"invoke","f":"poll","value":{"keys":["t-0"],"from":{"t-0":0},"drain":true}}
{"index":5,"time":7,"process":9,"type":"ok","f":"poll","value":{"reads":{"t-0":[[0,"a"],[1,"b"]]},"hw":{"t-0":2}}}
{"index":6,"time":8,"process":9,"type":"invoke","f":"poll","value":{"keys":["t-0"],"from":{"t-0":2},"drain":true}}
{"index":7,"time":9,"process":9,"type":"ok","f":"poll","value":{"reads":{"t-0":[]},"hw":{"t-0":2}}}
{"index":8,"time":10,"process":9,"type":"invoke","f":"poll","value":{"keys":["t-1"],"from":{"t-1":0},"drain":true}}
{"index":9,"time":11,"process":9,"type":"ok","f":"poll","value":{"reads":{"t-1":[[0,"c"],[1,"d"]]},"hw":{"t-1":2}}}
{"index":10,"time":12,"process":9,"type":"invoke","f":"poll","value":{"keys":["t-1"],"from":{"t-1":2},"drain":true}}
{"index":11,"time":13,"process":9,"type":"ok","f":"poll","value":{"reads":{"t-1":[]},"hw":{"t-1":2}}}
`
	txnAbortedRead = `{"index":0,"time":0,"process":0,"type":"invoke","f":"txn","value":{"mops":[["send","t-0","a"]],"abort":true}}
{"index":1,"time":5,"process":0,"type":"fail","f":"txn","value":{"mops":[["send","t-0",[0,"a"]]]}}
{"index":2,"time":6,"process":1,"type":"invoke","f":"txn","value":{"mops":[["poll"]]}}
{"index":3,"time":9,"process":1,"type":"ok","f":"txn","value":{"mops":[["poll",{"t-0":[[0,"a"]]}]],"commit_at":8}}
`
)

// `kafkaesque check` reads a bare transactional history, judged at read-committed: G0 is allowed
// by Kafka's design, an aborted read fails the verdict.
func TestCheckTransactionalHistory(t *testing.T) {
	code, stdout, stderr := run("check", writeFile(t, "g0.jsonl", txnG0))
	if code != 0 || !strings.Contains(stdout, "G0") || !strings.Contains(stdout, "(allowed)") ||
		!strings.Contains(stdout, "transactions: 2 committed, 0 aborted (0 on purpose), 0 indeterminate") {
		t.Errorf("G0 history: exit %d, want 0 with G0 allowed and its transactions counted\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = run("check", writeFile(t, "aborted.jsonl", txnAbortedRead))
	if code != 1 || !strings.Contains(stdout, "aborted-read") {
		t.Errorf("aborted read: exit %d, want 1 with aborted-read\n%s\n%s", code, stdout, stderr)
	}
}
