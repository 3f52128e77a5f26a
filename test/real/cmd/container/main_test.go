package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestInRootKeepsLinksInsideTheRoot(t *testing.T) {
	root := t.TempDir()
	for _, dir := range []string{"run", "etc/app"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"var/run":      "/run",          // absolute, as Debian has it: must stay under root
		"etc/current":  "app",           // relative
		"etc/escape":   "../../../../x", // climbs above the root: stops at it
		"etc/loop":     "loop",
		"usr/local/sb": "/etc/current",
	}
	for link, target := range links {
		path := filepath.Join(root, link)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
	}
	cases := map[string]string{
		"/var/run/secrets/token": filepath.Join(root, "run/secrets/token"),
		"/etc/current/config":    filepath.Join(root, "etc/app/config"),
		"/etc/escape":            filepath.Join(root, "x"),
		"/usr/local/sb/x":        filepath.Join(root, "etc/app/x"),
		"/../../etc/hosts":       filepath.Join(root, "etc/hosts"),
		"/not/there/yet":         filepath.Join(root, "not/there/yet"),
	}
	for path, want := range cases {
		got, err := inRoot(root, path)
		if err != nil || got != want {
			t.Errorf("inRoot(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := inRoot(root, "/etc/loop/x"); err == nil {
		t.Error("a link to itself must end in an error")
	}
}

func TestLookPathUsesTheContainersPath(t *testing.T) {
	got, err := lookPath("sh", []string{"PATH=/nonexistent:/bin:/usr/bin"})
	if err != nil || (got != "/bin/sh" && got != "/usr/bin/sh") {
		t.Errorf("lookPath(sh) = %q, %v", got, err)
	}
	if _, err := lookPath("no-such-program", []string{"PATH=/bin"}); err == nil {
		t.Error("a missing program must be an error")
	}
	if got, _ := lookPath("/ko-app/controller", nil); got != "/ko-app/controller" {
		t.Errorf("a path is used as it is, got %q", got)
	}
}
