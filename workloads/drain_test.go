package workloads

import "testing"

func TestDrainEndSeen(t *testing.T) {
	cases := []struct {
		name                   string
		from, hwm, next, maxHW int64
		want                   bool
	}{
		{"asked at the watermark", 10, 10, 10, 10, true},
		{"empty partition", 0, 0, 0, 0, true},
		{"records still below the watermark", 5, 10, 8, 10, false},
		{"read up to it but never asked past", 0, 10, 10, 10, false},
		{"a lower watermark than seen before", 10, 8, 10, 10, false},
		{"the watermark rose while asking", 10, 12, 10, 12, false},
	}
	for _, c := range cases {
		if got := endSeen(c.from, c.hwm, c.next, c.maxHW); got != c.want {
			t.Errorf("%s: endSeen(%d, %d, %d, %d) = %v, want %v", c.name, c.from, c.hwm, c.next, c.maxHW, got, c.want)
		}
	}
}
