package nodeimage

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
)

// Built lists the Kafka releases whose node images (Repo:VERSION) the local engine holds, oldest
// first. It reads the images' tags only: a run inspects its image's labels itself.
func Built(ctx context.Context, docker client.APIClient) ([]KafkaVersion, error) {
	res, err := docker.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", Repo)})
	if err != nil {
		return nil, fmt.Errorf("list %s images: %w", Repo, err)
	}
	return builtVersions(res.Items), nil
}

// builtVersions reads the release numbers from the images' Repo:VERSION tags, oldest first,
// each once. Tags that are not a supported release (e.g. "latest") are left out.
func builtVersions(images []image.Summary) []KafkaVersion {
	var versions []KafkaVersion
	for _, img := range images {
		for _, tag := range img.RepoTags {
			s, ok := strings.CutPrefix(tag, Repo+":")
			if !ok {
				continue
			}
			if v, err := ParseKafkaVersion(s); err == nil && !slices.Contains(versions, v) {
				versions = append(versions, v)
			}
		}
	}
	slices.SortFunc(versions, KafkaVersion.Compare)
	return versions
}
