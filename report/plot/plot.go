// Package plot lays out the report's inline SVG charts (latency, throughput and the partition
// timeline) from a loaded run directory; the report's templates draw them.
package plot

import (
	"fmt"
	"math"
	"strconv"

	"github.com/kafkaesque/kafkaesque/report/rundir"
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

// Plot is one inline SVG chart, laid out in Go and drawn by the template.
type Plot struct {
	ID     string
	Title  string
	Width  int
	Height int
	Bands  []Rect
	Rects  []Rect
	Paths  []Path
	Lines  []Line
	Texts  []Text
	XTicks []Tick
	YTicks []Tick
	YLabel string
	Legend []LegendItem
}

type Rect struct {
	X, Y, W, H float64
	Class      string
	Fault      string // data-fault, for bands
	Title      string
}

type Path struct {
	D     string
	Class string
}

type Line struct {
	X1, Y1, X2, Y2 float64
	Class          string
	Title          string
}

type Text struct {
	X, Y  float64
	Text  string
	Class string
}

type Tick struct {
	Pos   float64
	Label string
}

type LegendItem struct {
	Class string
	Label string
	Head  bool // a heading for the items after it, with no swatch
}

// TimeAxis maps run time (ns) to x.
type TimeAxis struct {
	end   int64
	x0    float64
	width float64
}

// NewTimeAxis is the x axis of a plot of a run that ended at end (ns).
func NewTimeAxis(end int64) TimeAxis {
	return TimeAxis{end: max(end, 1), x0: plotLeft, width: plotWidth - plotLeft - plotRight}
}

// X is the x of run time t (ns), clamped to the axis.
func (a TimeAxis) X(t int64) float64 {
	t = min(max(t, 0), a.end)
	return round1(a.x0 + a.width*float64(t)/float64(a.end))
}

// ticks returns about eight x ticks at round numbers of seconds.
func (a TimeAxis) ticks() []Tick {
	secs := float64(a.end) / 1e9
	step := niceStep(secs / 8)
	var out []Tick
	for s := 0.0; s <= secs+step/1e6; s += step {
		out = append(out, Tick{Pos: a.X(int64(s * 1e9)), Label: trimFloat(s) + "s"})
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

// FaultKinds assigns each distinct fault name a colour class, in order of first injection.
func FaultKinds(faults []rundir.FaultBand) map[string]string {
	kinds := map[string]string{}
	for _, f := range faults {
		if _, ok := kinds[f.Fault]; !ok {
			kinds[f.Fault] = fmt.Sprintf("band band-%d", len(kinds)%8)
		}
	}
	return kinds
}

// bands shades every fault over the plot area.
func bands(faults []rundir.FaultBand, kinds map[string]string, ax TimeAxis, top, bottom float64) []Rect {
	var out []Rect
	for _, f := range faults {
		if f.Error != "" {
			continue
		}
		x1, x2 := ax.X(f.Start), ax.X(f.End)
		out = append(out, Rect{X: x1, Y: top, W: round1(max(x2-x1, 1.5)), H: bottom - top,
			Class: kinds[f.Fault], Fault: f.Fault, Title: FaultTitle(f)})
	}
	return out
}

// FaultTitle describes a fault's band: what, from when to when, and how it ended.
func FaultTitle(f rundir.FaultBand) string {
	return fmt.Sprintf("%s: %.2fs to %.2fs (%s)", rundir.FaultName(f.Fault, f.Nodes, f.Partition), rundir.Seconds(f.Start), rundir.Seconds(f.End), f.Ended)
}

// FaultLegend names each kind of fault that was injected, in its colour.
func FaultLegend(faults []rundir.FaultBand, kinds map[string]string) []LegendItem {
	var out []LegendItem
	seen := map[string]bool{}
	for _, f := range faults {
		if f.Error == "" && !seen[f.Fault] {
			seen[f.Fault] = true
			out = append(out, LegendItem{Class: kinds[f.Fault], Label: f.Fault})
		}
	}
	return out
}
