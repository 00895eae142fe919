package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/spf13/pflag"
)

// clientFlags choose the queue workload's producer client and its idempotence.
type clientFlags struct {
	client     string
	idempotent bool
}

func (o *clientFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.client, "client", string(workloads.ClientKafkaGo), "producer client of the queue workload: "+strings.Join(workloads.ClientNames, " or ")+" (franz-go; consumers read with kafka-go either way)")
	fs.BoolVar(&o.idempotent, "idempotent", false, "idempotent producer: on by default with --client franz (a duplicate then fails the run); kafka-go's cannot be")
}

// apply sets the workload's client and, when the flag was given, its idempotence, or says
// which flag is wrong.
func (o *clientFlags) apply(w *harness.WorkloadSpec, fs *pflag.FlagSet) error {
	client, err := workloads.ParseClient(o.client)
	if err != nil {
		return fmt.Errorf("--client: %w", err)
	}
	w.Client = client
	if client != workloads.ClientKafkaGo && w.Name == harness.WorkloadGroup {
		return fmt.Errorf("--client %s: drives the queue workload; the group workload's producers are kafka-go's", client)
	}
	idempotent := workloads.DefaultIdempotent(client)
	if fs.Changed("idempotent") {
		idempotent = o.idempotent
		w.Idempotent = &idempotent
	}
	switch {
	case idempotent && client == workloads.ClientKafkaGo:
		return errors.New("--idempotent: kafka-go's producer cannot be idempotent (add --client franz)")
	case idempotent && w.Acks != workloads.AcksAll:
		return fmt.Errorf("--idempotent: an idempotent producer needs --acks all, got --acks %s (add --idempotent=false)", w.Acks)
	}
	return nil
}
