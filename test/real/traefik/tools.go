//go:build tools

// Package traefik pins Traefik, the real control plane's ingress controller and Gateway API
// implementation, which the node agent runs as the traefik image.
package traefik

import (
	_ "github.com/traefik/traefik/v3/cmd/traefik"
)
