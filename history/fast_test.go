package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The fast paths (scan.go, parseOpFast, view.go) must decode exactly what encoding/json decodes
// and fail exactly where it fails. These tests compare them on the repository's histories, on
// lines mutated at random, and under the fuzzer.

// decodeWith decodes data with a decoder in the given mode and returns a transcript of every op
// (values copied) and error, and the warnings.
func decodeWith(data []byte, slow, borrow bool) string {
	d := NewDecoder(bytes.NewReader(data))
	d.slowOnly = slow
	if borrow {
		d.BorrowValues()
	}
	var b strings.Builder
	for {
		op, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintf(&b, "error %v\n", err)
			break
		}
		fmt.Fprintf(&b, "%d %d %d %q %q %q nil=%v %q\n", op.Index, op.Time, op.Process, op.Type, op.F, op.Value, op.Value == nil, op.Error)
	}
	fmt.Fprintf(&b, "warnings %q outstanding %d line %d\n", d.Warnings(), d.Outstanding(), d.Line())
	return b.String()
}

// compareDecoders fails unless the fast decoder, borrowing or not, agrees with encoding/json.
func compareDecoders(t *testing.T, name string, data []byte) {
	t.Helper()
	slow := decodeWith(data, true, false)
	for _, borrow := range []bool{false, true} {
		if fast := decodeWith(data, false, borrow); fast != slow {
			t.Fatalf("%s (borrow %v): fast and slow decoders differ:\nfast:\n%s\nslow:\n%s", name, borrow, clip(fast), clip(slow))
		}
	}
}

func clip(s string) string {
	if len(s) > 4000 {
		return s[:4000] + "..."
	}
	return s
}

// compareLine checks parseOpFast against json.Unmarshal on one line: when the fast path takes
// it, encoding/json must accept it and decode the same op.
func compareLine(t *testing.T, line []byte) (fast bool) {
	t.Helper()
	var f, s Op
	if !parseOpFast(line, &f, false) {
		return false
	}
	if err := json.Unmarshal(line, &s); err != nil {
		t.Fatalf("fast path took %q, encoding/json fails: %v", line, err)
	}
	if !reflect.DeepEqual(f, s) {
		t.Fatalf("line %q: fast %+v, encoding/json %+v", line, f, s)
	}
	return true
}

// repoHistories are the repository's history files.
func repoHistories(t testing.TB) map[string][]byte {
	paths, err := filepath.Glob("../cmd/kafkaesque/testdata/histories/*.jsonl")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no testdata histories found: %v", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = data
	}
	return out
}

// writtenHistory is a history written by Writer: every shape the workloads record.
func writtenHistory(t testing.TB) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	off := int64(7)
	vals := []any{
		SendValue{Key: "t-0", Value: "v1"}, SendValue{Key: "t-0", Value: "v1", Offset: &off},
		PollInvoke{Keys: []string{"t-0", "t-1"}, From: map[string]int64{"t-0": 3, "t-1": 0}},
		PollInvoke{Keys: []string{"t-0"}, From: map[string]int64{"t-0": 0}, Drain: true},
		PollResult{Reads: map[string][]Read{"t-0": {{3, "v1"}, {4, "v2"}}, "t-1": {}}, HW: map[string]int64{"t-0": 5, "t-1": 0}},
		map[string]string{"reason": "crash-client"}, nil,
		map[string]any{"fault": "kill-leader", "action": "kill", "nodes": []string{"kafka2"}, "partition": "t-1"},
		TxnValue{Mops: []Mop{Send("t-0", "v9"), Poll()}, TxnID: "x"},
		map[string]any{"odd": "quote\" <tag> é \u2028", "n": -1.5e3, "t": true, "z": nil, "a": []any{}},
	}
	fs := []string{FSend, FSend, FPoll, FPoll, FPoll, FCrash, FHealAll, "kill-leader", FTxn, "custom"}
	errs := []string{"", "", "", "timeout", "", "crashed on purpose", "", "", `said "no" <&>`, "bad\x01byte"}
	for i, v := range vals {
		op := Op{Index: int64(i), Time: int64(i) * 1000, Process: i%3 - 1, Type: []Type{Invoke, OK, Fail, Info}[i%4], F: fs[i], Error: errs[i]}
		if v != nil {
			raw, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			op.Value = raw
		}
		if err := w.Write(op); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// The fast decoder agrees with encoding/json on the repository's histories and takes every
// line the writer writes.
func TestDecoderFastPathAgreesOnHistories(t *testing.T) {
	for name, data := range repoHistories(t) {
		compareDecoders(t, name, data)
	}
	data := writtenHistory(t)
	compareDecoders(t, "written", data)
	for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		if !compareLine(t, line) {
			t.Errorf("the fast path does not take the writer's line %s", line)
		}
	}
}

// mutate changes a line at random: a byte replaced, dropped or inserted, a field renamed,
// spaces added, escapes and numbers in odd forms.
func mutate(rng *rand.Rand, line []byte) []byte {
	b := slices.Clone(line)
	switch rng.Intn(10) {
	case 9:
		// An escape, good or bad, inside a string.
		if q := bytes.IndexByte(b, '"'); q >= 0 {
			esc := []string{`\"`, `\\`, `\/`, `\b`, `\n`, `\t`, `\u00e9`, `\u12`, `\uzzzz`, `\x41`, `\a`, `\0`, `\`}
			b = slices.Insert(b, q+1, []byte(esc[rng.Intn(len(esc))])...)
		}
	case 0:
		if len(b) > 0 {
			const chars = "{}[]\":,0-9.eE\\ ntfu\x01\x80aA"
			c := chars[rng.Intn(len(chars))]
			if rng.Intn(3) == 0 {
				c = byte(rng.Intn(256))
			}
			b[rng.Intn(len(b))] = c
		}
	case 1:
		if len(b) > 0 {
			i := rng.Intn(len(b))
			b = append(b[:i], b[i+1:]...)
		}
	case 2:
		i := rng.Intn(len(b) + 1)
		const chars = "{}[]\":, \\\t"
		b = slices.Insert(b, i, chars[rng.Intn(len(chars))])
	case 3:
		b = bytes.Replace(b, []byte(`"index"`), []byte(`"Index"`), 1)
	case 4:
		b = bytes.Replace(b, []byte(`,`), []byte(`, `), 1)
	case 5:
		b = bytes.Replace(b, []byte(`"t-0"`), []byte(`"t\u002d0"`), -1)
	case 6:
		for _, n := range []string{"0", "-0", "1e2", "1.0", "00", "-", "9223372036854775808", "-9223372036854775808", "18446744073709551616"} {
			if rng.Intn(3) == 0 {
				b = bytes.Replace(b, []byte(":1"), []byte(":"+n), 1)
				break
			}
		}
	case 7:
		b = bytes.Replace(b, []byte(`"value":`), []byte(`"value":null,"value":`), 1)
	case 8:
		b = bytes.Replace(b, []byte(`"f":`), []byte(`"x":{"y":[1,{"z":"\ud834"}]},"f":`), 1)
	}
	return b
}

// Randomly mutated lines: whatever the fast path takes, encoding/json decodes the same way, and
// whole decoders agree line for line, errors included.
func TestDecoderFastPathAgreesOnMutations(t *testing.T) {
	var lines [][]byte
	for _, data := range repoHistories(t) {
		lines = append(lines, bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))...)
	}
	lines = append(lines, bytes.Split(bytes.TrimSuffix(writtenHistory(t), []byte("\n")), []byte("\n"))...)
	rng := rand.New(rand.NewSource(14))
	fast, mutated := 0, 0
	for i := range 20000 {
		line := mutate(rng, lines[rng.Intn(len(lines))])
		if rng.Intn(4) == 0 {
			line = mutate(rng, line)
		}
		if compareLine(t, line) {
			fast++
		}
		mutated++
		if i%50 == 0 {
			// A small history around the line: its index must fit for the rest to be judged.
			compareDecoders(t, fmt.Sprintf("mutation %d", i), append(line, '\n'))
		}
	}
	if fast < mutated/10 {
		t.Fatalf("the fast path took only %d of %d mutated lines: the comparison tests little", fast, mutated)
	}
}

func FuzzDecoderFastPath(f *testing.F) {
	for _, data := range repoHistories(f) {
		f.Add(data)
	}
	f.Add(writtenHistory(f))
	f.Add([]byte(`{"index":0,"time":1,"process":0,"type":"invoke","f":"send","value":{"key":"k","value":"\u00e9"},"error":"\t"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, line := range bytes.Split(data, []byte("\n")) {
			compareLine(t, line)
		}
		compareDecoders(t, "fuzz", data)
	})
}

// Views: ParseSend, ParsePollInvoke and ParsePollResult against encoding/json.

func sendViewString(v SendView, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	return v.String()
}

func sendJSONString(raw []byte) string {
	var sv SendValue
	if err := json.Unmarshal(raw, &sv); err != nil {
		return "error " + fmt.Errorf("send value: %w", err).Error()
	}
	v := SendView{Key: []byte(sv.Key), Value: []byte(sv.Value)}
	if sv.Offset != nil {
		v.Offset, v.HasOffset = *sv.Offset, true
	}
	return v.String()
}

func pollInvokeViewString(v PollInvokeView, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	keys := make([]string, len(v.Keys))
	for i, k := range v.Keys {
		keys[i] = string(k)
	}
	from := map[string]int64{}
	for _, ko := range v.From {
		if _, dup := from[string(ko.Key)]; dup {
			return "duplicate from key " + string(ko.Key)
		}
		from[string(ko.Key)] = ko.Offset
	}
	return fmt.Sprintf("keys %q from %v drain %v", keys, from, v.Drain)
}

func pollInvokeJSONString(raw []byte) string {
	var pi PollInvoke
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &pi); err != nil {
			return "error " + fmt.Errorf("poll value: %w", err).Error()
		}
	}
	if pi.Keys == nil {
		pi.Keys = []string{}
	}
	if pi.From == nil {
		pi.From = map[string]int64{}
	}
	return fmt.Sprintf("keys %q from %v drain %v", pi.Keys, pi.From, pi.Drain)
}

func pollResultViewString(v PollResultView, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	reads := map[string][]Read{}
	for _, k := range v.Reads {
		if _, dup := reads[string(k.Key)]; dup {
			return "duplicate reads key " + string(k.Key)
		}
		list := []Read{}
		for _, r := range k.Reads {
			list = append(list, Read{Offset: r.Offset, Value: string(r.Value)})
		}
		reads[string(k.Key)] = list
	}
	hw := map[string]int64{}
	for _, ko := range v.HW {
		if _, dup := hw[string(ko.Key)]; dup {
			return "duplicate hw key " + string(ko.Key)
		}
		hw[string(ko.Key)] = ko.Offset
	}
	return describeResult(reads, hw)
}

func describeResult(reads map[string][]Read, hw map[string]int64) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(reads)) {
		fmt.Fprintf(&b, "%q:%v ", k, reads[k])
	}
	return fmt.Sprintf("reads %s hw %v", b.String(), hw)
}

func pollResultJSONString(raw []byte) string {
	var pr PollResult
	if err := json.Unmarshal(raw, &pr); err != nil {
		return "error " + fmt.Errorf("poll value: %w", err).Error()
	}
	reads := map[string][]Read{}
	for k, list := range pr.Reads {
		if list == nil {
			list = []Read{}
		}
		reads[k] = list
	}
	if pr.HW == nil {
		pr.HW = map[string]int64{}
	}
	return describeResult(reads, pr.HW)
}

// compareViews fails unless each view decodes raw as encoding/json does. It reports which
// fast paths took raw.
func compareViews(t *testing.T, raw []byte) (send, invoke, result bool) {
	t.Helper()
	if got, want := sendViewString(ParseSend(raw)), sendJSONString(raw); got != want {
		t.Fatalf("ParseSend(%q) = %s, encoding/json %s", raw, got, want)
	}
	var pi PollInvokeView
	pi.Keys = append(pi.Keys, []byte("stale")) // reused storage must not show through
	if got, want := pollInvokeViewString(pi, ParsePollInvoke(raw, &pi)), pollInvokeJSONString(raw); got != want {
		t.Fatalf("ParsePollInvoke(%q) = %s, encoding/json %s", raw, got, want)
	}
	var pr PollResultView
	_ = ParsePollResult([]byte(`{"reads":{"stale":[[1,"x"]]},"hw":{"stale":1}}`), &pr)
	if got, want := pollResultViewString(pr, ParsePollResult(raw, &pr)), pollResultJSONString(raw); got != want {
		t.Fatalf("ParsePollResult(%q) = %s, encoding/json %s", raw, got, want)
	}
	_, send = parseSendFast(raw)
	invoke = parsePollInvokeFast(raw, &pi)
	result = parsePollResultFast(raw, &pr)
	return send, invoke, result
}

var viewSeeds = []string{
	`{"key":"t-0","value":"v1"}`, `{"key":"t-0","value":"v1","offset":42}`, `{"value":"v1","key":"t-0","offset":-0}`,
	`{"keys":["t-0","t-1"],"from":{"t-0":41,"t-1":0}}`, `{"keys":["t-0"],"from":{"t-0":0},"drain":true}`,
	`{"keys":["t-0"],"from":{"t-0":4},"group":"g","member":"m-1","generation":3}`, `{"keys":[]}`, `{}`,
	`{"reads":{"t-0":[[0,"a"],[1,"b"]],"t-1":[]},"hw":{"t-0":2,"t-1":0}}`, `{"reads":{}}`,
	`{"reads":{"t-0":[[0,"a"]],"t-0":[[1,"b"]]}}`, `{"from":{"t-0":1,"t-0":2}}`, `{"key":"a","key":"b"}`,
	`{"Key":"t-0","value":"v"}`, `{"key":"t\u002d0","value":"v"}`, `{"key":"t-0","value":"v","offset":1.0}`,
	`{"key":"t-0","value":"v","offset":null}`, `{"reads":{"t-0":[[0,"a","x"]]}}`, `{"reads":{"t-0":[[0]]}}`,
	`{"reads":{"t-0":[[1.5,"a"]]}}`, `{"reads":{"t-0":null}}`, `{"reads":{"t-0":[[0,"é"]]}}`, `{"hw":{"t-0":"1"}}`,
	`{"keys":"t-0"}`, `{"drain":1}`, `{"drain":false,"drain":true}`, `null`, `[]`, `"x"`, ``, `{"keys":["a"]} `,
	` {"keys":["a"]}`, `{"keys":["a",]}`, `{"reads":{"t-0":[[0,"a"]]},"extra":{"deep":[[[[1]]]]}}`,
	`{"key":"t-0","value":"v","offset":9223372036854775807}`, `{"key":"t-0","value":"v","offset":9223372036854775808}`,
	`{"key":"t-0","value":"v","offset":-9223372036854775808}`, `{"KEYS":["a"]}`, `{"keys":["a"],"FROM":{"a":1}}`,
	`{"key":"\x41","value":"v"}`, `{"key":"a","value":"\u00e9\n"}`, `{"keys":["a"],"other":"\uzz"}`,
}

// The views agree with encoding/json on the seeds and on random mutations of them, and take the
// workloads' own shapes.
func TestViewsAgreeWithEncodingJSON(t *testing.T) {
	for _, raw := range viewSeeds {
		compareViews(t, []byte(raw))
	}
	for _, raw := range []string{viewSeeds[0], viewSeeds[1]} {
		if send, _, _ := compareViews(t, []byte(raw)); !send {
			t.Errorf("ParseSend's fast path does not take %s", raw)
		}
	}
	for _, raw := range []string{viewSeeds[3], viewSeeds[4], viewSeeds[5]} {
		if _, invoke, _ := compareViews(t, []byte(raw)); !invoke {
			t.Errorf("ParsePollInvoke's fast path does not take %s", raw)
		}
	}
	if _, _, result := compareViews(t, []byte(viewSeeds[8])); !result {
		t.Errorf("ParsePollResult's fast path does not take %s", viewSeeds[8])
	}
	var pi PollInvokeView
	if err := ParsePollInvoke([]byte(viewSeeds[5]), &pi); err != nil || !pi.Other {
		t.Errorf("a group member's poll: Other %v, %v; want true", pi.Other, err)
	}
	if err := ParsePollInvoke([]byte(viewSeeds[3]), &pi); err != nil || pi.Other {
		t.Errorf("a queue poll: Other %v, %v; want false", pi.Other, err)
	}
	rng := rand.New(rand.NewSource(4))
	took := 0
	for range 30000 {
		raw := mutate(rng, []byte(viewSeeds[rng.Intn(len(viewSeeds))]))
		if s, i, r := compareViews(t, raw); s || i || r {
			took++
		}
	}
	if took < 3000 {
		t.Fatalf("the fast paths took only %d mutated values: the comparison tests little", took)
	}
}

func FuzzViews(f *testing.F) {
	for _, raw := range viewSeeds {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		compareViews(t, raw)
	})
}
