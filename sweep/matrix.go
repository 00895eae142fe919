// Package sweep runs a matrix of chaos runs: the cells of a matrix file and flags, each repeated
// a test count of times, with seeds derived so that any shard of the sweep, on any machine, runs
// exactly the runs an unsharded sweep would.
package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Flag is one run flag a cell sets, as `kafkaesque run --Name=Value` takes it.
type Flag struct {
	Name, Value string
}

func (f Flag) String() string { return f.Name + "=" + f.Value }

// Matrix is a sweep's matrix file (docs/sweeps.md): flags every cell shares, axes whose cross
// product gives the cells, cells to leave out, and more cells to add.
type Matrix struct {
	Name      string
	TestCount int           // runs per cell; 0: not set
	TimeLimit time.Duration // each run's fault phase; 0: not set
	Flags     []Flag        // every cell's
	Axes      []Axis        // in the file's order
	Exclude   [][]Flag      // a cross-product cell matching every flag of one of these is left out
	Include   [][]Flag      // cells of their own, on top of Flags
}

// Axis is one flag and the values the cells take for it. A value may set the flag more than once
// (a repeatable flag such as --broker-config).
type Axis struct {
	Name   string
	Values [][]string
}

// matrixFile is the file's shape; the matrix itself keeps the file's order of axes.
type matrixFile struct {
	Name      string      `yaml:"name"`
	TestCount *int        `yaml:"test-count"`
	TimeLimit string      `yaml:"time-limit"`
	Flags     yaml.Node   `yaml:"flags"`
	Matrix    yaml.Node   `yaml:"matrix"`
	Exclude   []yaml.Node `yaml:"exclude"`
	Include   []yaml.Node `yaml:"include"`
}

// ParseMatrix reads a matrix file, YAML or JSON (JSON is YAML). Unknown keys, a flag given twice
// and values that are neither scalars nor lists of scalars are errors naming where they are.
func ParseMatrix(r io.Reader) (*Matrix, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty matrix file")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f matrixFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	m := &Matrix{Name: f.Name}
	if f.TestCount != nil {
		if *f.TestCount < 1 {
			return nil, fmt.Errorf("matrix: test-count must be at least 1, got %d", *f.TestCount)
		}
		m.TestCount = *f.TestCount
	}
	if f.TimeLimit != "" {
		if m.TimeLimit, err = time.ParseDuration(f.TimeLimit); err != nil || m.TimeLimit <= 0 {
			return nil, fmt.Errorf("matrix: time-limit %q: want a positive duration such as 60s", f.TimeLimit)
		}
	}
	if m.Flags, err = flagsOf(&f.Flags, "flags"); err != nil {
		return nil, err
	}
	if m.Axes, err = axesOf(&f.Matrix); err != nil {
		return nil, err
	}
	for i := range f.Exclude {
		fl, err := flagsOf(&f.Exclude[i], fmt.Sprintf("exclude[%d]", i))
		if err != nil {
			return nil, err
		}
		if len(fl) == 0 {
			return nil, fmt.Errorf("matrix: exclude[%d] is empty: it would leave out every cell", i)
		}
		for _, x := range fl {
			if !slices.ContainsFunc(m.Axes, func(a Axis) bool { return a.Name == x.Name }) {
				return nil, fmt.Errorf("matrix: exclude[%d] names %s, which is no axis of the matrix", i, x.Name)
			}
		}
		m.Exclude = append(m.Exclude, fl)
	}
	for i := range f.Include {
		fl, err := flagsOf(&f.Include[i], fmt.Sprintf("include[%d]", i))
		if err != nil {
			return nil, err
		}
		if len(fl) == 0 {
			return nil, fmt.Errorf("matrix: include[%d] is empty (a cell of the shared flags alone needs no matrix)", i)
		}
		m.Include = append(m.Include, fl)
	}
	return m, nil
}

// flagsOf reads a mapping of flag names to a scalar or a list of scalars (the flag repeated).
func flagsOf(n *yaml.Node, where string) ([]Flag, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("matrix: %s (line %d) must map flag names to values", where, n.Line)
	}
	var flags []Flag
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		name, err := flagName(key, where)
		if err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("matrix: %s (line %d) gives %s twice", where, key.Line, name)
		}
		seen[name] = true
		values, err := valuesOf(val, where+"."+name)
		if err != nil {
			return nil, err
		}
		for _, v := range values {
			flags = append(flags, Flag{name, v})
		}
	}
	return flags, nil
}

// axesOf reads the matrix: flag names to lists of values, each value a scalar or a list (the
// flag repeated in that cell).
func axesOf(n *yaml.Node) ([]Axis, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("matrix: matrix (line %d) must map flag names to lists of values", n.Line)
	}
	var axes []Axis
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		name, err := flagName(key, "matrix")
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(axes, func(a Axis) bool { return a.Name == name }) {
			return nil, fmt.Errorf("matrix: matrix (line %d) gives %s twice", key.Line, name)
		}
		where := "matrix." + name
		if val.Kind != yaml.SequenceNode || len(val.Content) == 0 {
			return nil, fmt.Errorf("matrix: %s (line %d) must be a non-empty list of values", where, val.Line)
		}
		axis := Axis{Name: name}
		for _, item := range val.Content {
			values, err := valuesOf(item, where)
			if err != nil {
				return nil, err
			}
			if slices.ContainsFunc(axis.Values, func(v []string) bool { return slices.Equal(v, values) }) {
				return nil, fmt.Errorf("matrix: %s (line %d) lists %s twice", where, item.Line, strings.Join(values, ","))
			}
			axis.Values = append(axis.Values, values)
		}
		axes = append(axes, axis)
	}
	return axes, nil
}

func flagName(key *yaml.Node, where string) (string, error) {
	name := strings.TrimPrefix(key.Value, "--")
	if key.Kind != yaml.ScalarNode || name == "" || strings.ContainsAny(name, " =") {
		return "", fmt.Errorf("matrix: %s (line %d): %q is no flag name", where, key.Line, key.Value)
	}
	return name, nil
}

// valuesOf reads a scalar, or a list of scalars, as flag values.
func valuesOf(n *yaml.Node, where string) ([]string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" || n.Value == "" {
			return nil, fmt.Errorf("matrix: %s (line %d) has no value", where, n.Line)
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, fmt.Errorf("matrix: %s (line %d) is an empty list", where, n.Line)
		}
		var out []string
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode || c.Tag == "!!null" || c.Value == "" {
				return nil, fmt.Errorf("matrix: %s (line %d): want a value, got a %s", where, c.Line, kindName(c))
			}
			out = append(out, c.Value)
		}
		return out, nil
	}
	return nil, fmt.Errorf("matrix: %s (line %d): want a value or a list of values, got a %s", where, n.Line, kindName(n))
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "null"
}

// itoa keeps strconv in one place for seeds and counts in names.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
