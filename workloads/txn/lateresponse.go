package txn

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// heldRequest is what a held Produce request carried: its version, to read the broker's late
// answer, and per partition the batch's producer id, epoch and first sequence.
type heldRequest struct {
	correlation int32
	version     int16
	batches     map[string]string // "topic-partition" -> "pid P epoch E seq S (N records)"
}

// parseHeld splits held bytes into their requests; what it cannot read is left out.
func parseHeld(b []byte) []heldRequest {
	var out []heldRequest
	for len(b) >= 4 {
		size := int(binary.BigEndian.Uint32(b[:4]))
		if size < 8 || len(b) < 4+size {
			break
		}
		msg := b[4 : 4+size]
		b = b[4+size:]
		if int16(binary.BigEndian.Uint16(msg[0:2])) != produceAPIKey {
			continue
		}
		r := heldRequest{version: int16(binary.BigEndian.Uint16(msg[2:4])), correlation: int32(binary.BigEndian.Uint32(msg[4:8])), batches: map[string]string{}}
		body := msg[8:]
		if len(body) < 2 {
			continue
		}
		idLen := max(int(int16(binary.BigEndian.Uint16(body[:2]))), 0)
		if 2+idLen > len(body) {
			out = append(out, r)
			continue
		}
		body = body[2+idLen:]
		req := kmsg.NewProduceRequest()
		req.Version = r.version
		if req.IsFlexible() { // request header v2: an empty tag buffer
			if len(body) == 0 || body[0] != 0 {
				out = append(out, r)
				continue
			}
			body = body[1:]
		}
		if err := req.ReadFrom(body); err == nil {
			for _, t := range req.Topics {
				for _, p := range t.Partitions {
					var rb kmsg.RecordBatch
					desc := "unreadable batch"
					if rb.ReadFrom(p.Records) == nil {
						desc = fmt.Sprintf("pid %d epoch %d seq %d (%d records)", rb.ProducerID, rb.ProducerEpoch, rb.FirstSequence, rb.NumRecords)
					}
					r.batches[fmt.Sprintf("%s-%d", t.Topic, p.Partition)] = desc
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// readLate reads the broker's answers to the held requests from r, and describes each.
func readLate(r io.Reader, reqs []heldRequest) []string {
	byCorr := map[int32]heldRequest{}
	for _, q := range reqs {
		byCorr[q.correlation] = q
	}
	br := bufio.NewReader(r)
	var out []string
	for range reqs {
		var hdr [8]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			out = append(out, fmt.Sprintf("no more answers: %v", err))
			break
		}
		size := int(binary.BigEndian.Uint32(hdr[:4]))
		body := make([]byte, max(size-4, 0))
		if _, err := io.ReadFull(br, body); err != nil {
			out = append(out, fmt.Sprintf("answer cut short: %v", err))
			break
		}
		q, ok := byCorr[int32(binary.BigEndian.Uint32(hdr[4:8]))]
		if !ok {
			continue
		}
		resp := kmsg.NewProduceResponse()
		resp.Version = q.version
		if resp.IsFlexible() && len(body) > 0 { // response header v1: an empty tag buffer
			body = body[1:]
		}
		if err := resp.ReadFrom(body); err != nil {
			out = append(out, fmt.Sprintf("unreadable answer: %v", err))
			continue
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				tp := fmt.Sprintf("%s-%d", t.Topic, p.Partition)
				code := "NONE"
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					code = err.Error()
				}
				out = append(out, fmt.Sprintf("%s [%s]: %s, base offset %d", tp, q.batches[tp], strings.SplitN(code, ":", 2)[0], p.BaseOffset))
			}
		}
	}
	return out
}
