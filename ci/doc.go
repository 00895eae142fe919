// Package ci tests the repository's CI files: ci/workflow_test.go runs the nightly workflow's
// jobs (.github/workflows/nightly.yml) on this machine, with a small matrix, so the file does
// not rot between the nights it runs on GitHub.
package ci
