// Command historygen writes a generated history (package historygen) to a file, for measuring
// `kafkaesque check` and `kafkaesque report` on large histories:
//
//	go run ./history/historygen/cmd/historygen --lines 10000000 --faults --out history.jsonl
package main

import (
	"fmt"
	"os"

	"github.com/kafkaesque/kafkaesque/history/historygen"
	"github.com/spf13/pflag"
)

func main() {
	lines := pflag.Int("lines", 1_000_000, "about how many lines to write")
	faults := pflag.Bool("faults", false, "with faults, info and failed operations and consumer crashes (historygen.WithFaults), not a clean history (historygen.Default)")
	seed := pflag.Int64("seed", 1, "the generators' seed")
	producers := pflag.Int("producers", 0, "sending processes at once (0: the configuration's, 4); a workload producer with --in-flight n is n of them")
	consumers := pflag.Int("consumers", 0, "polling processes (0: the configuration's, 4)")
	out := pflag.String("out", "history.jsonl", "the file to write")
	pflag.Parse()
	cfg := historygen.Default(*lines)
	if *faults {
		cfg = historygen.WithFaults(*lines)
	}
	cfg.Seed = *seed
	if *producers > 0 {
		cfg.Producers = *producers
	}
	if *consumers > 0 {
		cfg.Consumers = *consumers
	}
	if err := run(*out, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "historygen: %v\n", err)
		os.Exit(1)
	}
}

func run(path string, cfg historygen.Config) error {
	n, err := historygen.WriteFile(path, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "historygen: wrote %d lines to %s\n", n, path)
	return nil
}
