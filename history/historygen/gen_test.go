package historygen

import (
	"bytes"
	"testing"

	"github.com/kafkaesque/kafkaesque/history"
)

func TestGenerateDecodes(t *testing.T) {
	var buf bytes.Buffer
	cfg := Default(2000)
	cfg.InfoRate, cfg.FailRate = 0.05, 0.05
	n, err := Generate(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n < 1900 || n > 2200 {
		t.Fatalf("wrote %d lines, want about 2000", n)
	}
	dec := history.NewDecoder(&buf)
	count := int64(0)
	for {
		_, err := dec.Next()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatal(err)
		}
		count++
	}
	if count != n || dec.Outstanding() != 0 {
		t.Fatalf("decoded %d of %d lines, %d outstanding", count, n, dec.Outstanding())
	}
}
