package txn

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// frameRequest frames req as kgo writes it: size, API key, version, correlation id, client id,
// and (flexible versions) an empty tag buffer, then the body.
func frameRequest(req *kmsg.ProduceRequest, corr int32) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(req.Version))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = binary.BigEndian.AppendUint16(b, 3)
	b = append(b, "cli"...)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	b = req.AppendTo(b)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

func frameResponse(resp *kmsg.ProduceResponse, corr int32) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(corr))
	if resp.IsFlexible() {
		b = append(b, 0)
	}
	b = resp.AppendTo(b)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

func TestLateAnswersNameBatchAndError(t *testing.T) {
	batch := kmsg.RecordBatch{ProducerID: 1000, ProducerEpoch: 3, FirstSequence: 7, NumRecords: 1, Magic: 2}
	batch.Length = int32(len(batch.AppendTo(nil)) - 12) // the bytes after the offset and the length
	req := kmsg.NewPtrProduceRequest()
	req.Version = 9
	tid := "t-0"
	req.TransactionID = &tid
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "kafkaesque"
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition = 1
	rp.Records = batch.AppendTo(nil)
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	held := parseHeld(frameRequest(req, 42))
	if len(held) != 1 || held[0].correlation != 42 || held[0].version != 9 || held[0].describe() != "Produce kafkaesque-1 pid 1000 epoch 3 seq 7 (1 records)" {
		t.Fatalf("parsed %+v; want one v9 Produce, correlation 42", held)
	}

	resp := kmsg.NewPtrProduceResponse()
	resp.Version = 9
	st := kmsg.NewProduceResponseTopic()
	st.Topic = "kafkaesque"
	sp := kmsg.NewProduceResponseTopicPartition()
	sp.Partition = 1
	sp.ErrorCode = kerr.InvalidProducerEpoch.Code
	sp.BaseOffset = -1
	st.Partitions = append(st.Partitions, sp)
	resp.Topics = append(resp.Topics, st)
	answers := readLate(bytes.NewReader(frameResponse(resp, 42)), held)
	if len(answers) != 1 || !strings.Contains(answers[0], "Produce kafkaesque-1 pid 1000 epoch 3 seq 7 (1 records): kafkaesque-1 INVALID_PRODUCER_EPOCH at offset -1") {
		t.Fatalf("answers %q; want kafkaesque-1's batch refused INVALID_PRODUCER_EPOCH", answers)
	}
}
