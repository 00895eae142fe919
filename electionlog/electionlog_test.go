package electionlog

import (
	"bytes"
	"reflect"
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

func TestQuorumAndKRaftPartitionEventsRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	in := []Event{
		{Time: 1, Kind: KindQuorum, Source: SourceQuorum, Broker: 101, Leader: Int(102), LeaderEpoch: Int(7),
			Voters: []int{101, 102, 103}, Observers: []int{1, 2, 3}, Lagging: []int{103}, QuorumHW: Int64(420),
			Replicas: []QuorumReplica{{ID: 102, LogEndOffset: 421, LastFetchMs: 1700000000000, LastCaughtUpMs: 1700000000000}}},
		{Time: 2, Kind: KindPartition, Source: SourceMetadata, Broker: 2, Topic: "t", Partition: Int(0), Leader: Int(2),
			LeaderEpoch: Int(3), ISR: []int{2}, ELR: []int{3}, LastKnownELR: []int{1}, HighWatermark: Int64(99)},
	}
	for _, e := range in {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, field := range []string{`"kind":"quorum"`, `"source":"quorum"`, `"broker":101`, `"voters":[101,102,103]`,
		`"lagging":[103]`, `"quorum_hw":420`, `"log_end_offset":421`, `"elr":[3]`, `"last_known_elr":[1]`, `"high_watermark":99`} {
		if !strings.Contains(buf.String(), field) {
			t.Errorf("the log lacks %s:\n%s", field, buf.String())
		}
	}
	out, err := Read(&buf)
	if err != nil || len(out) != 2 {
		t.Fatalf("Read = %d events, %v", len(out), err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("wrote %+v\nread  %+v", in, out)
	}
}

func TestOldLogsStillRead(t *testing.T) {
	// Lines as the ZooKeeper-mode observer wrote them before quorum events existed.
	old := `{"time":1,"kind":"controller","source":"zookeeper","controller":1,"controller_epoch":1}
{"time":2,"kind":"partition","source":"zookeeper","topic":"t","partition":0,"leader":1,"leader_epoch":0,"isr":[1,2,3],"controller_epoch":1,"zk_version":0}
{"time":3,"kind":"partition","source":"metadata","broker":2,"topic":"t","partition":0,"leader":1,"isr":[1,2,3]}
{"time":4,"kind":"unreachable","source":"metadata","broker":3,"error":"dial tcp: refused"}
`
	events, err := Read(strings.NewReader(old))
	if err != nil || len(events) != 4 {
		t.Fatalf("Read = %d events, %v", len(events), err)
	}
	if e := events[2]; e.Broker != 2 || e.LeaderEpoch != nil || e.HighWatermark != nil || e.ELR != nil {
		t.Errorf("an old metadata line read as %+v", e)
	}
}

func TestSameStateIgnoresOnlyTimeAndDetails(t *testing.T) {
	base := Event{Time: 1, Kind: KindQuorum, Source: SourceQuorum, Broker: 101, Leader: Int(101), LeaderEpoch: Int(3),
		Voters: []int{101, 102, 103}, QuorumHW: Int64(10),
		Replicas: []QuorumReplica{{ID: 102, LogEndOffset: 10, LastFetchMs: 5, LastCaughtUpMs: 5}}}
	details := base
	details.Time, details.QuorumHW = 2, Int64(11)
	details.Replicas = []QuorumReplica{{ID: 102, LogEndOffset: 11, LastFetchMs: 6, LastCaughtUpMs: 6}}
	if !base.SameState(details) {
		t.Error("a change of time, quorum high watermark or replica offsets counted as a state change")
	}
	for name, change := range map[string]func(*Event){
		"leader":         func(e *Event) { e.Leader = Int(102) },
		"epoch":          func(e *Event) { e.LeaderEpoch = Int(4) },
		"voters":         func(e *Event) { e.Voters = []int{101, 102} },
		"observers":      func(e *Event) { e.Observers = []int{1} },
		"lagging":        func(e *Event) { e.Lagging = []int{103} },
		"elr":            func(e *Event) { e.ELR = []int{2} },
		"last known elr": func(e *Event) { e.LastKnownELR = []int{2} },
		"high watermark": func(e *Event) { e.HighWatermark = Int64(12) },
		"error":          func(e *Event) { e.Error = "refused" },
	} {
		changed := base
		change(&changed)
		if base.SameState(changed) {
			t.Errorf("a change of %s was not a state change", name)
		}
	}
}

func TestReadAcceptsQuorumKind(t *testing.T) {
	line := `{"time":5,"kind":"quorum","source":"quorum","broker":102,"leader":102,"leader_epoch":9,"voters":[101,102,103]}` + "\n"
	events, err := Read(strings.NewReader(line))
	if err != nil || len(events) != 1 || events[0].Kind != KindQuorum || *events[0].LeaderEpoch != 9 {
		t.Fatalf("Read = %+v, %v", events, err)
	}
}
