package electionlog

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteThenRead(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	in := []Event{
		{Time: 1, Kind: KindController, Source: SourceZooKeeper, Controller: Int(2), ControllerEpoch: Int(3)},
		{Time: 2, Kind: KindPartition, Source: SourceZooKeeper, Topic: "t", Partition: Int(0), Leader: Int(2),
			LeaderEpoch: Int(4), ISR: []int{2, 3}, ZkVersion: Int(9)},
	}
	for _, e := range in {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	out, err := Read(&buf)
	if err != nil || len(out) != 2 {
		t.Fatalf("Read = %d events, %v", len(out), err)
	}
	for i := range in {
		if !in[i].SameState(out[i]) || in[i].Time != out[i].Time {
			t.Errorf("event %d: wrote %+v, read %+v", i, in[i], out[i])
		}
	}
	if out[1].Key() != "t-0" {
		t.Errorf("key %q, want t-0", out[1].Key())
	}
}

func TestReadTruncatedTailAndCorruptLine(t *testing.T) {
	good := `{"time":1,"kind":"controller","source":"zookeeper","controller":1,"controller_epoch":1}` + "\n"
	events, err := Read(strings.NewReader(good + `{"time":2,"kind":"contr`))
	if err != nil || len(events) != 1 {
		t.Errorf("a log cut off mid-line: %d events, %v; want the whole lines and no error", len(events), err)
	}
	_, err = Read(strings.NewReader(good + "not json\n" + good))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a corrupt middle line: %v, want an error naming line 2", err)
	}
	_, err = Read(strings.NewReader(`{"time":1,"kind":"leader"}` + "\n"))
	if err == nil || !strings.Contains(err.Error(), `unknown kind "leader"`) {
		t.Errorf("an unknown kind: %v", err)
	}
}
