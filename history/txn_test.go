package history

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMopRoundTrip(t *testing.T) {
	off := int64(12)
	in := TxnValue{TxnID: "txn-0", Mops: []Mop{
		Send("t-0", "v1"),
		{F: MopSend, Key: "t-1", Value: "v2", Offset: &off},
		Poll(),
		{F: MopPoll, Reads: map[string][]Read{"t-1": {{Offset: 3, Value: "v0"}, {Offset: 4, Value: "v7"}}}},
		{F: MopPoll, Reads: map[string][]Read{}},
	}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"mops":[["send","t-0","v1"],["send","t-1",[12,"v2"]],["poll"],["poll",{"t-1":[[3,"v0"],[4,"v7"]]}],["poll",{}]],"txn_id":"txn-0"}`
	if string(b) != want {
		t.Fatalf("marshal:\n got %s\nwant %s", b, want)
	}
	op := Op{F: FTxn, Value: b}
	out, err := op.Txn()
	if err != nil {
		t.Fatal(err)
	}
	if out.Mops[0].Offset != nil || out.Mops[1].Offset == nil || *out.Mops[1].Offset != 12 || out.Mops[1].Value != "v2" {
		t.Fatalf("sends decoded wrongly: %+v", out.Mops[:2])
	}
	if out.Mops[2].Reads != nil {
		t.Fatalf("a poll that did not run decoded with reads: %+v", out.Mops[2])
	}
	if r := out.Mops[3].Reads["t-1"]; len(r) != 2 || r[1].Offset != 4 || r[1].Value != "v7" {
		t.Fatalf("poll reads decoded wrongly: %+v", out.Mops[3])
	}
	if out.Mops[4].Reads == nil {
		t.Fatal("a poll that read nothing decoded as one that did not run")
	}
}

func TestMopRefusesOtherShapes(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{`{"mops":[]}`, "no mops"},
		{`{"mops":[["write","t-0","v"]]}`, "unknown function"},
		{`{"mops":[["send","t-0"]]}`, "want [\"send\", key, value]"},
		{`{"mops":[["send","","v"]]}`, "empty key"},
		{`{"mops":[["send","t-0",[1]]]}`, "want [offset, value]"},
		{`{"mops":[["poll",{},1]]}`, "poll mop"},
		{`{"mops":[[]]}`, "empty array"},
		{`{"mops":["send"]}`, "want an array"},
	} {
		_, err := Op{F: FTxn, Value: json.RawMessage(tc.value)}.Txn()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want it to mention %q", tc.value, err, tc.want)
		}
	}
	if _, err := (Op{F: FTxn}).Txn(); err == nil {
		t.Error("a txn op with no value decoded")
	}
}

// The fast path decodes exactly what the slow one does, and leaves every other shape to it.
func TestMopFastPathAgreesWithSlow(t *testing.T) {
	for _, in := range []string{
		`["send","t-0","v1"]`, `[ "send" , "t-0" , [ 12 , "v1" ] ]`, `["send","t-0",[12,"v1"]]`,
		`["poll"]`, `[ "poll" ]`, `["poll",{"t-1":[[3,"v0"]]}]`, `["poll",{}]`,
		`["send","t\u002d0","v1"]`, `["send","t-0","v\"1"]`, `["send","t-0","vé"]`,
		`["send","t-0",[12,"v\\1"]]`, `["send","t-0"]`, `["send","","v"]`, `["send","t-0","v",1]`,
		`["send","t-0",[1]]`, `["send",1,"v"]`, `["write","t-0","v"]`, `[]`, `["poll",{},1]`,
	} {
		var fast, slow Mop
		fastErr := fast.UnmarshalJSON([]byte(in))
		slowErr := slow.unmarshalSlow([]byte(in))
		if (fastErr == nil) != (slowErr == nil) {
			t.Errorf("%s: fast path err %v, slow path err %v", in, fastErr, slowErr)
			continue
		}
		fb, _ := json.Marshal(fast)
		sb, _ := json.Marshal(slow)
		if fastErr == nil && string(fb) != string(sb) {
			t.Errorf("%s: fast path %s, slow path %s", in, fb, sb)
		}
	}
	var m Mop
	if !m.parseFast([]byte(`["send","t-0",[12,"v1"]]`)) || !m.parseFast([]byte(`["send","t-0","v1"]`)) || !m.parseFast([]byte(`["poll"]`)) {
		t.Error("the fast path does not take the workload's own shapes")
	}
	if m.parseFast([]byte(`["send","t-0","v\"1"]`)) {
		t.Error("the fast path took a string with an escape")
	}
}
