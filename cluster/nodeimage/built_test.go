package nodeimage

import (
	"fmt"
	"testing"

	"github.com/moby/moby/api/types/image"
)

func TestBuiltVersionsReadsNodeImageTags(t *testing.T) {
	images := []image.Summary{
		{RepoTags: []string{"kafkaesque/node:4.4.0", "kafkaesque/node:latest"}},
		{RepoTags: []string{"kafkaesque/node:3.9.2"}},
		{RepoTags: []string{"kafkaesque/node:3.10.0"}}, // sorted as a release, not as text
		{RepoTags: []string{"other/node:3.8.0", "kafkaesque/nodes:3.5.0", "kafkaesque/node:2.7.0"}},
		{RepoTags: []string{"kafkaesque/node:4.4.0"}}, // a second image tagged the same release
		{RepoTags: nil}, // dangling
	}
	if got, want := fmt.Sprint(builtVersions(images)), "[3.9.2 3.10.0 4.4.0]"; got != want {
		t.Errorf("built versions %s, want %s", got, want)
	}
	if got := builtVersions(nil); len(got) != 0 {
		t.Errorf("no images: %v", got)
	}
}
