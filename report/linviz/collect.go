package linviz

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kafkaesque/kafkaesque/history"
)

// overlaps says whether the op ran during w; an op still outstanding (ret < 0) runs to the end.
func (e linEntry) overlaps(w [2]int64) bool {
	return e.call <= w[1] && (e.ret < 0 || e.ret >= w[0])
}

// inAny says whether e ran during any of the windows.
func (e linEntry) inAny(windows [][2]int64) bool {
	for _, w := range windows {
		if e.overlaps(w) {
			return true
		}
	}
	return false
}

// collectKeyOps streams the history and keeps the ops of each key that overlap any of its
// windows.
func collectKeyOps(ctx context.Context, r io.Reader, windows map[string][][2]int64) (map[string][]linEntry, error) {
	out := map[string][]linEntry{}
	open := map[int]*linEntry{}
	openKey := map[int]string{}
	dec := history.NewDecoder(r)
	for {
		op, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		if op.Index%65536 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !op.IsClient() {
			continue
		}
		if op.Type == history.Invoke {
			e := &linEntry{send: op.F == history.FSend, process: op.Process, call: op.Time, ret: -1, offset: -1, index: op.Index}
			open[op.Process], openKey[op.Process] = e, ""
			if e.send {
				if v, err := op.Send(); err == nil {
					e.value, openKey[op.Process] = v.Value, v.Key
				}
			}
			continue
		}
		e := open[op.Process]
		delete(open, op.Process)
		if e == nil {
			continue
		}
		e.ret, e.typ = op.Time, op.Type
		if e.send {
			key := openKey[op.Process]
			if !e.inAny(windows[key]) {
				continue
			}
			if v, err := op.Send(); err == nil && v.Offset != nil && op.Type == history.OK {
				e.offset = *v.Offset
			}
			out[key] = append(out[key], *e)
			continue
		}
		if op.Type != history.OK {
			continue
		}
		res, err := op.PollReads()
		if err != nil {
			continue
		}
		for key, reads := range res.Reads {
			if len(reads) > 0 && e.inAny(windows[key]) {
				p := *e
				p.reads = reads
				out[key] = append(out[key], p)
			}
		}
	}
	for p, e := range open { // sends outstanding at the end may have happened
		if e.send && e.inAny(windows[openKey[p]]) {
			e.typ = history.Info
			out[openKey[p]] = append(out[openKey[p]], *e)
		}
	}
	return out, nil
}
