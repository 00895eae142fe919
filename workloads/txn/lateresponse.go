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

// heldRequest is one held request, read back so that the broker's late answer to it can be
// read and described.
type heldRequest struct {
	correlation  int32
	key, version int16
	req          kmsg.Request // nil when it could not be read
}

type readable interface{ ReadFrom([]byte) error }

// parseHeld splits held bytes into their requests; what it cannot read is left out.
func parseHeld(b []byte) []heldRequest {
	var out []heldRequest
	for len(b) >= 4 {
		size := int(binary.BigEndian.Uint32(b[:4]))
		if size < 10 || len(b) < 4+size {
			break
		}
		msg := b[4 : 4+size]
		b = b[4+size:]
		r := heldRequest{key: int16(binary.BigEndian.Uint16(msg[0:2])), version: int16(binary.BigEndian.Uint16(msg[2:4])),
			correlation: int32(binary.BigEndian.Uint32(msg[4:8]))}
		out = append(out, r)
		body := msg[8:]
		idLen := max(int(int16(binary.BigEndian.Uint16(body[:2]))), 0)
		if 2+idLen > len(body) {
			continue
		}
		body = body[2+idLen:]
		req := kmsg.RequestForKey(r.key)
		if req == nil {
			continue
		}
		req.SetVersion(r.version)
		if req.IsFlexible() { // request header v2: an empty tag buffer
			if len(body) == 0 || body[0] != 0 {
				continue
			}
			body = body[1:]
		}
		if rd, ok := req.(readable); ok && rd.ReadFrom(body) == nil {
			out[len(out)-1].req = req
		}
	}
	return out
}

// describe says what a held request asked for.
func (r heldRequest) describe() string {
	switch req := r.req.(type) {
	case *kmsg.ProduceRequest:
		var parts []string
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				var rb kmsg.RecordBatch
				desc := "unreadable batch"
				if rb.ReadFrom(p.Records) == nil {
					desc = fmt.Sprintf("pid %d epoch %d seq %d (%d records)", rb.ProducerID, rb.ProducerEpoch, rb.FirstSequence, rb.NumRecords)
				}
				parts = append(parts, fmt.Sprintf("%s-%d %s", t.Topic, p.Partition, desc))
			}
		}
		return "Produce " + strings.Join(parts, ", ")
	case *kmsg.EndTxnRequest:
		return fmt.Sprintf("EndTxn commit=%v pid %d epoch %d", req.Commit, req.ProducerID, req.ProducerEpoch)
	case nil:
		return fmt.Sprintf("unreadable request (key %d v%d)", r.key, r.version)
	}
	return kmsg.NameForKey(r.key)
}

func codeName(code int16) string {
	if err := kerr.ErrorForCode(code); err != nil {
		return strings.SplitN(err.Error(), ":", 2)[0]
	}
	return "NONE"
}

// answer says what the broker answered.
func answer(resp kmsg.Response) string {
	switch resp := resp.(type) {
	case *kmsg.ProduceResponse:
		var parts []string
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				parts = append(parts, fmt.Sprintf("%s-%d %s at offset %d", t.Topic, p.Partition, codeName(p.ErrorCode), p.BaseOffset))
			}
		}
		return strings.Join(parts, ", ")
	case *kmsg.EndTxnResponse:
		return codeName(resp.ErrorCode)
	}
	return "answered"
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
		body := make([]byte, max(int(binary.BigEndian.Uint32(hdr[:4]))-4, 0))
		if _, err := io.ReadFull(br, body); err != nil {
			out = append(out, fmt.Sprintf("answer cut short: %v", err))
			break
		}
		q, ok := byCorr[int32(binary.BigEndian.Uint32(hdr[4:8]))]
		if !ok {
			continue
		}
		resp := kmsg.ResponseForKey(q.key)
		if resp == nil {
			continue
		}
		resp.SetVersion(q.version)
		// Response header v1 (flexible versions, ApiVersions excepted) ends in a tag buffer.
		if resp.IsFlexible() && q.key != 18 && len(body) > 0 {
			body = body[1:]
		}
		if err := resp.ReadFrom(body); err != nil {
			out = append(out, fmt.Sprintf("%s: unreadable answer: %v", q.describe(), err))
			continue
		}
		out = append(out, fmt.Sprintf("%s: %s", q.describe(), answer(resp)))
	}
	return out
}
