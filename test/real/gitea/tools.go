//go:build tools

// Package gitea pins the Gitea server that the real forge of the tests builds.
package gitea

import (
	_ "code.gitea.io/gitea"
)
