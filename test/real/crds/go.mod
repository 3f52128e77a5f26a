// The CustomResourceDefinitions the exposure tests install (Gateway API, OpenShift's Route), pinned
// here and read from the Go module cache at test time (test/support/crds.ts). Separate from
// test/real/go.mod so that these modules cannot move the Kubernetes dependency graph.
module github.com/kubectl-trigger-gateway/kubectl-trigger-gateway/test/real/crds

go 1.26.0

require (
	// The Gateway API release that Traefik v3.6.2 implements (its go.mod), the Gateway controller
	// of the real control plane.
	sigs.k8s.io/gateway-api v1.4.0
	// openshift/api has no tags since v3.9.0 (2018, before Routes were a CRD): a pseudo-version of
	// master from October 2025, which carries route/v1/zz_generated.crd-manifests/routes.crd.yaml.
	github.com/openshift/api v0.0.0-20251015095338-264e80a2b6e7
)
