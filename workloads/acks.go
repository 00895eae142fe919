package workloads

import (
	"fmt"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Acks is the producer's required acknowledgement level. Its zero value is
// deliberately invalid, so a config that forgets to set it is rejected
// instead of silently running with kafka-go's default (acks=0).
type Acks int

// The acknowledgement levels, named as in Kafka's acks setting.
const (
	AcksNone   Acks = iota + 1 // "0": the broker sends no response
	AcksLeader                 // "1": the leader has appended
	AcksAll                    // "all": every in-sync replica has appended
)

// ParseAcks parses "0", "1" or "all".
func ParseAcks(s string) (Acks, error) {
	switch s {
	case "0":
		return AcksNone, nil
	case "1":
		return AcksLeader, nil
	case "all":
		return AcksAll, nil
	}
	return 0, fmt.Errorf("acks %q: want 0, 1 or all", s)
}

// String returns the form ParseAcks accepts, or "unset"/"invalid(n)".
func (a Acks) String() string {
	switch a {
	case AcksNone:
		return "0"
	case AcksLeader:
		return "1"
	case AcksAll:
		return "all"
	case 0:
		return "unset"
	}
	return fmt.Sprintf("invalid(%d)", int(a))
}

// Valid reports whether a is one of the three levels.
func (a Acks) Valid() bool { return a >= AcksNone && a <= AcksAll }

// MarshalText encodes a as "0", "1" or "all", so run configs can carry it.
func (a Acks) MarshalText() ([]byte, error) {
	if !a.Valid() {
		return nil, fmt.Errorf("marshal acks: %s", a)
	}
	return []byte(a.String()), nil
}

// UnmarshalText decodes "0", "1" or "all".
func (a *Acks) UnmarshalText(b []byte) error {
	v, err := ParseAcks(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

func (a Acks) kafka() kafka.RequiredAcks {
	switch a {
	case AcksLeader:
		return kafka.RequireOne
	case AcksAll:
		return kafka.RequireAll
	}
	return kafka.RequireNone
}

func (a Acks) franz() kgo.Acks {
	switch a {
	case AcksLeader:
		return kgo.LeaderAck()
	case AcksAll:
		return kgo.AllISRAcks()
	}
	return kgo.NoAck()
}
