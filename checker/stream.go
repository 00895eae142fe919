package checker

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kafkaesque/kafkaesque/history"
)

// Stream decodes a history and hands each op to every observer in turn, so that several checks
// share one pass (runcheck.Check). An observer's error names the op's line; the decoder's
// warnings (a truncated last line) are returned. An op's Value aliases the decoder's buffer
// (history.Decoder.BorrowValues): it is valid only during the calls, so an observer copies
// whatever it keeps of it.
func Stream(ctx context.Context, r io.Reader, observers ...func(history.Op) error) ([]string, error) {
	dec := history.NewDecoder(r)
	dec.BorrowValues()
	for {
		op, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return dec.Warnings(), nil
		}
		if err != nil {
			return nil, err
		}
		for _, observe := range observers {
			if err := observe(op); err != nil {
				return nil, &history.LineError{Line: dec.Line(), Err: err}
			}
		}
		if op.Index%65536 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("check: %w", ctx.Err())
		}
	}
}
