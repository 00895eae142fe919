package cluster

import (
	"context"
	"fmt"
	"slices"

	"github.com/kafkaesque/kafkaesque/cluster/nodeimage"
	"github.com/moby/moby/client"
)

// checkImage reads the node image's labels and checks it holds the configured Kafka release
// and supports the configured mode.
func checkImage(ctx context.Context, docker client.APIClient, cfg Config) (nodeimage.Info, error) {
	info, err := nodeimage.Inspect(ctx, docker, cfg.Image)
	if err != nil {
		return info, err
	}
	if info.KafkaVersion != cfg.KafkaVersion {
		return info, fmt.Errorf("image %s holds Kafka %s, not the configured %s", cfg.Image, info.KafkaVersion, cfg.KafkaVersion)
	}
	if !slices.Contains(info.Modes, string(cfg.Mode)) {
		return info, fmt.Errorf("image %s (Kafka %s) runs modes %v, not %s", cfg.Image, info.KafkaVersion, info.Modes, cfg.Mode)
	}
	return info, nil
}
