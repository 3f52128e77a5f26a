//go:build tools

// Package tekton pins the Tekton Triggers programs that the real control plane runs as pods, and the
// Tekton Pipelines module whose PipelineRun CRD the tests install.
package tekton

import (
	_ "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	_ "github.com/tektoncd/triggers/cmd/controller"
	_ "github.com/tektoncd/triggers/cmd/eventlistenersink"
	_ "github.com/tektoncd/triggers/cmd/interceptors"
)
