package main

import (
	"errors"
	"flag"
	"strings"

	"github.com/kafkaesque/kafkaesque/checker"
)

// parseInterspersed parses fs over args, letting flags come before or after positional
// arguments, and returns the positionals. help reports -h/--help; a non-nil error has already
// been printed by the flag package.
func parseInterspersed(fs *flag.FlagSet, args []string) (positional []string, help bool, err error) {
	for {
		if err := fs.Parse(args); err != nil {
			return nil, errors.Is(err, flag.ErrHelp), err
		}
		if fs.NArg() == 0 {
			return positional, false, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseAllow reads a comma-separated list of anomaly types; an unknown name is an error.
func parseAllow(list string) (map[checker.AnomalyType]bool, error) {
	allow := map[checker.AnomalyType]bool{}
	if list == "" {
		return allow, nil
	}
	for _, name := range strings.Split(list, ",") {
		t, err := checker.ParseAnomalyType(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		allow[t] = true
	}
	return allow, nil
}
