package runcheck

import (
	"context"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
)

// A run's transactions are checked (checker/txn): an aborted transaction's send read by a
// committed one is an aborted read, and the result carries the transactions' stats.
func TestTransactionsChecked(t *testing.T) {
	const hist = `{"index":0,"time":0,"process":0,"type":"invoke","f":"txn","value":{"mops":[["send","t-0","a"]],"abort":true}}
{"index":1,"time":5,"process":0,"type":"fail","f":"txn","value":{"mops":[["send","t-0",[0,"a"]]]}}
{"index":2,"time":6,"process":1,"type":"invoke","f":"txn","value":{"mops":[["poll"]]}}
{"index":3,"time":9,"process":1,"type":"ok","f":"txn","value":{"mops":[["poll",{"t-0":[[0,"a"]]}]],"commit_at":8}}
`
	res, err := Check(context.Background(), strings.NewReader(hist), Options{})
	if err != nil {
		t.Fatal(err)
	}
	list := res.Anomalies[checker.AbortedRead]
	if res.Valid != checker.Invalid || len(list) != 1 || !strings.Contains(list[0].Explanation, "aborted transaction of ops 0-1") {
		t.Errorf("verdict %s, aborted reads %+v: want one naming the aborted transaction", res.Valid, list)
	}
	if res.Txn == nil || res.Txn.Committed != 1 || res.Txn.AbortedOnPurpose != 1 {
		t.Errorf("txn stats %+v, want 1 committed and 1 aborted on purpose", res.Txn)
	}
}
