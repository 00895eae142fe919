package plot

import (
	"fmt"
	"math"
	"strings"

	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// Latency draws the latency of one kind of client op (sends, or polls) against its invocation
// time, on a log scale, one dot per grid cell and outcome.
func Latency(id, title string, send bool, s *rundir.HistoryScan, kinds map[string]string) Plot {
	const height = 260
	ax := NewTimeAxis(s.End)
	p := Plot{ID: id, Title: title, Width: plotWidth, Height: height, YLabel: "latency",
		Legend: []LegendItem{{Class: "pt-ok", Label: "ok"}, {Class: "pt-info", Label: "info"}, {Class: "pt-fail", Label: "fail"}}}
	top, bottom := float64(plotTop), float64(height-plotBottom)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range s.Completions {
		if c.Send == send {
			ms := latencyMS(c)
			lo, hi = math.Min(lo, ms), math.Max(hi, ms)
		}
	}
	p.Bands = bands(s.Faults, kinds, ax, top, bottom)
	p.XTicks = ax.ticks()
	if math.IsInf(lo, 1) {
		p.Texts = append(p.Texts, Text{X: plotLeft + 10, Y: top + 20, Text: "no completed ops", Class: "note"})
		return p
	}
	decLo, decHi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if decHi <= decLo {
		decHi = decLo + 1
	}
	y := func(ms float64) float64 {
		return round1(bottom - (bottom-top)*(math.Log10(ms)-decLo)/(decHi-decLo))
	}
	for d := decLo; d <= decHi; d++ {
		p.YTicks = append(p.YTicks, Tick{Pos: y(math.Pow(10, d)), Label: msLabel(math.Pow(10, d))})
	}
	type cell struct {
		x, y  int32
		class uint8
	}
	seen := make(map[cell]bool)
	var paths [3]strings.Builder
	for _, c := range s.Completions {
		if c.Send != send {
			continue
		}
		px, py := ax.X(c.Invoke), y(latencyMS(c))
		k := cell{int32(px / cellW), int32(py / cellH), c.Class}
		if seen[k] {
			continue
		}
		seen[k] = true
		fmt.Fprintf(&paths[c.Class], "M%s %sh0", trimFloat(px), trimFloat(py))
	}
	for class, name := range []string{"pt-ok", "pt-info", "pt-fail"} {
		if paths[class].Len() > 0 {
			p.Paths = append(p.Paths, Path{D: paths[class].String(), Class: "dots " + name})
		}
	}
	return p
}

func latencyMS(c rundir.Completion) float64 { return math.Max(float64(c.Done-c.Invoke)/1e6, 1e-3) }

func msLabel(ms float64) string {
	if ms >= 1000 {
		return trimFloat(ms/1000) + "s"
	}
	return trimFloat(ms) + "ms"
}

// Throughput draws completed ops per second over time, by kind and outcome.
func Throughput(s *rundir.HistoryScan, kinds map[string]string) Plot {
	const height, buckets = 220, 200
	ax := NewTimeAxis(s.End)
	p := Plot{ID: "throughput", Title: "Throughput (completed ops per second)", Width: plotWidth, Height: height,
		YLabel: "ops/s", Legend: []LegendItem{{Class: "ln-send", Label: "send ok"}, {Class: "ln-poll", Label: "poll ok"}, {Class: "ln-err", Label: "info or fail"}}}
	if s.Txns.Total() > 0 {
		p.Legend[0].Label = "txn committed" // transactions are plotted with the sends
	}
	top, bottom := float64(plotTop), float64(height-plotBottom)
	p.Bands = bands(s.Faults, kinds, ax, top, bottom)
	p.XTicks = ax.ticks()
	width := float64(ax.end) / buckets
	var counts [3][buckets]float64
	for _, c := range s.Completions {
		b := min(int(float64(c.Done)/width), buckets-1)
		series := 2
		if c.Class == rundir.ClassOK {
			series = 1
			if c.Send {
				series = 0
			}
		}
		counts[series][b]++
	}
	perSec := 1e9 / width
	peak := 1.0
	for i := range counts {
		for b := range counts[i] {
			counts[i][b] *= perSec
			peak = math.Max(peak, counts[i][b])
		}
	}
	step := niceStep(peak / 4)
	yMax := math.Ceil(peak/step) * step
	y := func(v float64) float64 { return round1(bottom - (bottom-top)*v/yMax) }
	for v := 0.0; v <= yMax+step/2; v += step {
		p.YTicks = append(p.YTicks, Tick{Pos: y(v), Label: trimFloat(v)})
	}
	for i, class := range []string{"ln-send", "ln-poll", "ln-err"} {
		var d strings.Builder
		for b := range counts[i] {
			cmd := "L"
			if b == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%s %s", cmd, trimFloat(ax.X(int64((float64(b)+0.5)*width))), trimFloat(y(counts[i][b])))
		}
		p.Paths = append(p.Paths, Path{D: d.String(), Class: "series " + class})
	}
	return p
}
