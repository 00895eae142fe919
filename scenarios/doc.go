// Package scenarios holds Kafkaesque's ground truth: chaos runs against real clusters whose
// outcome is known. In the safe configuration Kafka must lose no acknowledged write under any
// fault; in the documented unsafe configurations the harness must catch the loss, every time.
// The package has only tests; `go test ./scenarios/` runs them (they need Docker).
package scenarios
