package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Plot geometry, in SVG user units (pixels at 100%).
const (
	plotWidth  = 1100
	plotLeft   = 100 // room for y tick labels and partition names
	plotRight  = 16
	plotTop    = 12
	plotBottom = 28 // room for x tick labels
	// cellW x cellH is the grid latency points are thinned to: one point per cell and class keeps a
	// million-op run to a few tens of thousands of dots, which look the same.
	cellW = 2.0
	cellH = 3.0
)

// svgPlot is one inline SVG chart, laid out in Go and drawn by the template.
type svgPlot struct {
	ID     string
	Title  string
	Width  int
	Height int
	Bands  []svgRect
	Rects  []svgRect
	Paths  []svgPath
	Lines  []svgLine
	Texts  []svgText
	XTicks []svgTick
	YTicks []svgTick
	YLabel string
	Legend []legendItem
}

type svgRect struct {
	X, Y, W, H float64
	Class      string
	Fault      string // data-fault, for bands
	Title      string
}

type svgPath struct {
	D     string
	Class string
}

type svgLine struct {
	X1, Y1, X2, Y2 float64
	Class          string
	Title          string
}

type svgText struct {
	X, Y  float64
	Text  string
	Class string
}

type svgTick struct {
	Pos   float64
	Label string
}

type legendItem struct {
	Class string
	Label string
	Head  bool // a heading for the items after it, with no swatch
}

// timeAxis maps run time (ns) to x.
type timeAxis struct {
	end   int64
	x0    float64
	width float64
}

func newTimeAxis(end int64) timeAxis {
	return timeAxis{end: max(end, 1), x0: plotLeft, width: plotWidth - plotLeft - plotRight}
}

func (a timeAxis) x(t int64) float64 {
	t = min(max(t, 0), a.end)
	return round1(a.x0 + a.width*float64(t)/float64(a.end))
}

// ticks returns about eight x ticks at round numbers of seconds.
func (a timeAxis) ticks() []svgTick {
	secs := float64(a.end) / 1e9
	step := niceStep(secs / 8)
	var out []svgTick
	for s := 0.0; s <= secs+step/1e6; s += step {
		out = append(out, svgTick{Pos: a.x(int64(s * 1e9)), Label: trimFloat(s) + "s"})
	}
	return out
}

func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// faultKinds assigns each distinct fault name a colour class, in order of first injection.
func faultKinds(faults []faultBand) map[string]string {
	kinds := map[string]string{}
	for _, f := range faults {
		if _, ok := kinds[f.Fault]; !ok {
			kinds[f.Fault] = fmt.Sprintf("band band-%d", len(kinds)%8)
		}
	}
	return kinds
}

// bands shades every fault over the plot area.
func bands(faults []faultBand, kinds map[string]string, ax timeAxis, top, bottom float64) []svgRect {
	var out []svgRect
	for _, f := range faults {
		if f.Error != "" {
			continue
		}
		x1, x2 := ax.x(f.Start), ax.x(f.End)
		out = append(out, svgRect{X: x1, Y: top, W: round1(max(x2-x1, 1.5)), H: bottom - top,
			Class: kinds[f.Fault], Fault: f.Fault, Title: faultTitle(f)})
	}
	return out
}

func faultTitle(f faultBand) string {
	return fmt.Sprintf("%s: %.2fs to %.2fs (%s)", faultName(f.Fault, f.Nodes, f.Partition), secondsOf(f.Start), secondsOf(f.End), f.Ended)
}

func secondsOf(ns int64) float64 { return float64(ns) / 1e9 }

func faultLegend(faults []faultBand, kinds map[string]string) []legendItem {
	var out []legendItem
	seen := map[string]bool{}
	for _, f := range faults {
		if f.Error == "" && !seen[f.Fault] {
			seen[f.Fault] = true
			out = append(out, legendItem{Class: kinds[f.Fault], Label: f.Fault})
		}
	}
	return out
}

// latencyPlot draws the latency of one kind of client op against its invocation time, on a
// log scale, one dot per grid cell and outcome.
func latencyPlot(id, title string, send bool, s *historyScan, kinds map[string]string) svgPlot {
	const height = 260
	ax := newTimeAxis(s.end)
	p := svgPlot{ID: id, Title: title, Width: plotWidth, Height: height, YLabel: "latency",
		Legend: []legendItem{{Class: "pt-ok", Label: "ok"}, {Class: "pt-info", Label: "info"}, {Class: "pt-fail", Label: "fail"}}}
	top, bottom := float64(plotTop), float64(height-plotBottom)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range s.completions {
		if c.send == send {
			ms := latencyMS(c)
			lo, hi = math.Min(lo, ms), math.Max(hi, ms)
		}
	}
	p.Bands = bands(s.faults, kinds, ax, top, bottom)
	p.XTicks = ax.ticks()
	if math.IsInf(lo, 1) {
		p.Texts = append(p.Texts, svgText{X: plotLeft + 10, Y: top + 20, Text: "no completed ops", Class: "note"})
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
		p.YTicks = append(p.YTicks, svgTick{Pos: y(math.Pow(10, d)), Label: msLabel(math.Pow(10, d))})
	}
	type cell struct {
		x, y  int32
		class uint8
	}
	seen := make(map[cell]bool)
	var paths [3]strings.Builder
	for _, c := range s.completions {
		if c.send != send {
			continue
		}
		px, py := ax.x(c.invoke), y(latencyMS(c))
		k := cell{int32(px / cellW), int32(py / cellH), c.class}
		if seen[k] {
			continue
		}
		seen[k] = true
		fmt.Fprintf(&paths[c.class], "M%s %sh0", trimFloat(px), trimFloat(py))
	}
	for class, name := range []string{"pt-ok", "pt-info", "pt-fail"} {
		if paths[class].Len() > 0 {
			p.Paths = append(p.Paths, svgPath{D: paths[class].String(), Class: "dots " + name})
		}
	}
	return p
}

func latencyMS(c completion) float64 { return math.Max(float64(c.done-c.invoke)/1e6, 1e-3) }

func msLabel(ms float64) string {
	if ms >= 1000 {
		return trimFloat(ms/1000) + "s"
	}
	return trimFloat(ms) + "ms"
}

// throughputPlot draws completed ops per second over time, by kind and outcome.
func throughputPlot(s *historyScan, kinds map[string]string) svgPlot {
	const height, buckets = 220, 200
	ax := newTimeAxis(s.end)
	p := svgPlot{ID: "throughput", Title: "Throughput (completed ops per second)", Width: plotWidth, Height: height,
		YLabel: "ops/s", Legend: []legendItem{{Class: "ln-send", Label: "send ok"}, {Class: "ln-poll", Label: "poll ok"}, {Class: "ln-err", Label: "info or fail"}}}
	top, bottom := float64(plotTop), float64(height-plotBottom)
	p.Bands = bands(s.faults, kinds, ax, top, bottom)
	p.XTicks = ax.ticks()
	width := float64(ax.end) / buckets
	var counts [3][buckets]float64
	for _, c := range s.completions {
		b := min(int(float64(c.done)/width), buckets-1)
		series := 2
		if c.class == classOK {
			series = 1
			if c.send {
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
		p.YTicks = append(p.YTicks, svgTick{Pos: y(v), Label: trimFloat(v)})
	}
	for i, class := range []string{"ln-send", "ln-poll", "ln-err"} {
		var d strings.Builder
		for b := range counts[i] {
			cmd := "L"
			if b == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%s %s", cmd, trimFloat(ax.x(int64((float64(b)+0.5)*width))), trimFloat(y(counts[i][b])))
		}
		p.Paths = append(p.Paths, svgPath{D: d.String(), Class: "series " + class})
	}
	return p
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
