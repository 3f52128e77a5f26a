//go:build tools

// Package kcp pins the kcp server that the real kcp control plane builds.
package kcp

import (
	_ "github.com/kcp-dev/kcp/cmd/kcp"
)
