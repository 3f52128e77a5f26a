// Command container runs one container of a pod for the real control plane's node agent, the way a
// container runtime does: its root filesystem is the host's own, seen through an overlay whose
// writable layer is private to the container (read-only when the pod asks for it), with the pod's
// volumes bound where the spec mounts them; the program runs as PID 1 of a PID namespace of its own,
// with the pod's host name and user. The network namespace is the pod's: the node agent starts this
// command with `ip netns exec POD-NETNS`, which also gives it a private mount namespace.
//
//	ip netns exec POD-NETNS container -spec SPEC.json
//
// It stays as the container's parent: it forwards signals to PID 1, exits with its status, and
// kills it when its own parent (the node agent) dies or closes its standard input.
//
//	container -exec -pid PID [-uid UID -gid GID] -- COMMAND [ARG...]
//
// runs a command inside a running container (kubectl exec, exec probes, lifecycle hooks) with
// nsenter, in every namespace and the root of the container's PID 1, handing it its standard input
// through a pipe, as container runtimes do: a program may open /dev/stdin, which a socket (what
// Node.js gives its children) does not allow.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Spec is what the node agent asks for: one container of one pod.
type Spec struct {
	// Scratch is an empty directory; a tmpfs mounted on it holds the overlay's layers and the root.
	Scratch      string   `json:"scratch"`
	Hostname     string   `json:"hostname"`
	ReadOnlyRoot bool     `json:"readOnlyRoot"`
	Files        []File   `json:"files"`
	Mounts       []Mount  `json:"mounts"`
	WorkingDir   string   `json:"workingDir"`
	UID          *int     `json:"uid"`
	GID          *int     `json:"gid"`
	Groups       []int    `json:"groups"`
	Env          []string `json:"env"`
	// Args[0] is looked up on the container's PATH (from Env) when it has no slash.
	Args []string `json:"args"`
	// PidFile receives the host PID of the container's PID 1, for exec and probes (nsenter).
	PidFile string `json:"pidFile"`
}

// File is written into the container's writable layer, e.g. /etc/resolv.conf.
type File struct {
	Path    string `json:"path"`
	Content string `json:"content"`
	Mode    uint32 `json:"mode"`
}

// Mount binds a host file or directory (a volume, a program) into the container.
type Mount struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly"`
}

// The devices a container gets, as runc gives them, bound from the host's.
var devices = []string{"null", "zero", "full", "random", "urandom", "tty"}

func main() {
	specPath := flag.String("spec", "", "the container's spec (JSON)")
	first := flag.Bool("init", false, "internal: the container's first process, inside its namespaces")
	enter := flag.Bool("exec", false, "run a command in the running container whose PID 1 is -pid")
	pid := flag.Int("pid", 0, "with -exec: the host PID of the container's PID 1")
	uid := flag.Int("uid", -1, "with -exec: the user to run as (default: root)")
	gid := flag.Int("gid", 0, "with -exec: the group to run as")
	flag.Parse()
	if *enter {
		code, err := execIn(*pid, *uid, *gid, flag.Args())
		if err != nil {
			fmt.Fprintf(os.Stderr, "container: %v\n", err)
			os.Exit(126)
		}
		os.Exit(code)
	}
	spec, err := readSpec(*specPath)
	if err == nil {
		if *first {
			err = startProgram(spec)
		} else {
			var code int
			code, err = run(spec, *specPath)
			if err == nil {
				os.Exit(code)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "container: %v\n", err)
	// 128 is what a runtime's own failure to start a container looks like to the kubelet.
	os.Exit(128)
}

func readSpec(path string) (*Spec, error) {
	if path == "" {
		return nil, errors.New("usage: container -spec SPEC.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var spec Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(spec.Args) == 0 || spec.Scratch == "" {
		return nil, fmt.Errorf("%s: args and scratch are required", path)
	}
	return &spec, nil
}

// run prepares the root filesystem, starts the first process in new PID, UTS and IPC namespaces,
// and waits for it.
func run(spec *Spec, specPath string) (int, error) {
	// The container dies with the node agent: PR_SET_PDEATHSIG here, and on the child below.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0); err != nil {
		return 0, fmt.Errorf("prctl: %w", err)
	}
	root, err := prepareRoot(spec)
	if err != nil {
		return 0, err
	}
	// Pdeathsig follows the thread that started the child: keep this one.
	runtime.LockOSThread()
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	child := exec.Command(self, "-init", "-spec", specPath)
	child.Dir = root
	child.Stdout, child.Stderr = os.Stdout, os.Stderr
	child.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC,
		Pdeathsig:  syscall.SIGKILL,
	}
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2)
	if err := child.Start(); err != nil {
		return 0, fmt.Errorf("starting %s: %w", spec.Args[0], err)
	}
	if spec.PidFile != "" {
		if err := os.WriteFile(spec.PidFile, []byte(strconv.Itoa(child.Process.Pid)), 0o644); err != nil {
			_ = child.Process.Kill()
			return 0, err
		}
	}
	go func() {
		for s := range signals {
			_ = child.Process.Signal(s)
		}
	}()
	// The node agent holds our standard input open; end of file means it is gone.
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = child.Process.Kill()
	}()
	return exitStatus(child.Wait())
}

// execIn runs argv in the container of pid with nsenter, its standard input copied through a pipe.
func execIn(pid, uid, gid int, argv []string) (int, error) {
	if pid <= 0 || len(argv) == 0 {
		return 0, errors.New("usage: container -exec -pid PID [-uid UID -gid GID] -- COMMAND [ARG...]")
	}
	args := []string{"-t", strconv.Itoa(pid), "-m", "-u", "-i", "-n", "-p", "-r", "-w"}
	if uid >= 0 {
		args = append(args, "-S", strconv.Itoa(uid), "-G", strconv.Itoa(gid))
	}
	cmd := exec.Command("nsenter", append(append(args, "--"), argv...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	go func() {
		_, _ = io.Copy(stdin, os.Stdin)
		_ = stdin.Close()
	}()
	return exitStatus(cmd.Wait())
}

// exitStatus is a child's exit code as a shell gives it: 128+N when signal N ended it.
func exitStatus(err error) (int, error) {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			return 128 + int(status.Signal()), nil
		}
		return exit.ExitCode(), nil
	}
	return 0, err
}

// prepareRoot builds the root filesystem under spec.Scratch and returns its path.
func prepareRoot(spec *Spec) (string, error) {
	if err := os.MkdirAll(spec.Scratch, 0o700); err != nil {
		return "", err
	}
	if err := unix.Mount("tmpfs", spec.Scratch, "tmpfs", 0, "mode=0700"); err != nil {
		return "", fmt.Errorf("tmpfs on %s: %w", spec.Scratch, err)
	}
	upper, work, root := filepath.Join(spec.Scratch, "upper"), filepath.Join(spec.Scratch, "work"),
		filepath.Join(spec.Scratch, "root")
	for _, dir := range []string{upper, work, root} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return "", err
		}
	}
	options := fmt.Sprintf("lowerdir=/,upperdir=%s,workdir=%s", upper, work)
	if err := unix.Mount("overlay", root, "overlay", 0, options); err != nil {
		return "", fmt.Errorf("overlay on %s: %w", root, err)
	}
	for _, file := range spec.Files {
		if err := writeFile(root, file); err != nil {
			return "", err
		}
	}
	if err := mountDevices(root); err != nil {
		return "", err
	}
	for _, mount := range spec.Mounts {
		if err := bind(root, mount); err != nil {
			return "", err
		}
	}
	if spec.ReadOnlyRoot {
		if err := unix.Mount("", root, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
			return "", fmt.Errorf("read-only root: %w", err)
		}
	}
	return root, nil
}

func writeFile(root string, file File) error {
	path, err := inRoot(root, file.Path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	mode := os.FileMode(file.Mode)
	if mode == 0 {
		mode = 0o644
	}
	// A host file of the same name is only in the lower layer: this replaces it in the upper one.
	_ = os.Remove(path)
	return os.WriteFile(path, []byte(file.Content), mode)
}

// mountDevices gives the container a /dev of its own with the usual devices and /dev/shm.
func mountDevices(root string) error {
	dev := filepath.Join(root, "dev")
	if err := unix.Mount("tmpfs", dev, "tmpfs", unix.MS_NOSUID, "mode=0755"); err != nil {
		return fmt.Errorf("tmpfs on /dev: %w", err)
	}
	for _, name := range devices {
		target := filepath.Join(dev, name)
		if err := os.WriteFile(target, nil, 0o666); err != nil {
			return err
		}
		if err := unix.Mount("/dev/"+name, target, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("/dev/%s: %w", name, err)
		}
	}
	links := map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil {
			return err
		}
	}
	shm := filepath.Join(dev, "shm")
	if err := os.Mkdir(shm, 0o1777); err != nil {
		return err
	}
	return unix.Mount("shm", shm, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777,size=65536k")
}

// bind mounts mount.Source at mount.Target inside root, creating the mount point (a file for a file).
func bind(root string, mount Mount) error {
	info, err := os.Stat(mount.Source)
	if err != nil {
		return fmt.Errorf("mount source: %w", err)
	}
	target, err := inRoot(root, mount.Target)
	if err != nil {
		return err
	}
	if info.IsDir() {
		err = os.MkdirAll(target, 0o755)
	} else if err = os.MkdirAll(filepath.Dir(target), 0o755); err == nil {
		if _, statErr := os.Stat(target); statErr != nil {
			err = os.WriteFile(target, nil, 0o644)
		}
	}
	if err != nil {
		return fmt.Errorf("mount point %s: %w", mount.Target, err)
	}
	if err := unix.Mount(mount.Source, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding %s at %s: %w", mount.Source, mount.Target, err)
	}
	if mount.ReadOnly {
		flags := uintptr(unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY)
		if err := unix.Mount("", target, "", flags, ""); err != nil {
			return fmt.Errorf("read-only %s: %w", mount.Target, err)
		}
	}
	return nil
}

// inRoot is path inside root with every symbolic link on the way resolved as the container will see
// it (an absolute link starts again at root: the host's /var/run -> /run must not lead out of it).
func inRoot(root, path string) (string, error) {
	resolved := root
	rest := strings.Split(filepath.Clean("/"+path), "/")
	for links := 0; len(rest) > 0; {
		part := rest[0]
		rest = rest[1:]
		if part == "" || part == "." {
			continue
		}
		if part == ".." {
			if resolved != root {
				resolved = filepath.Dir(resolved)
			}
			continue
		}
		next := filepath.Join(resolved, part)
		link, err := os.Readlink(next)
		if err != nil {
			// Not a link (or not there yet: created later as a directory or file).
			resolved = next
			continue
		}
		if links++; links > 40 {
			return "", fmt.Errorf("%s: too many levels of symbolic links", path)
		}
		if filepath.IsAbs(link) {
			resolved = root
		}
		rest = append(strings.Split(link, "/"), rest...)
	}
	return resolved, nil
}

// startProgram runs as PID 1 of the new namespaces: /proc, host name, root, user, then the program.
func startProgram(spec *Spec) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := unix.Mount("proc", filepath.Join(root, "proc"), "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("/proc: %w", err)
	}
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("host name: %w", err)
		}
	}
	if err := unix.Chroot(root); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	dir := spec.WorkingDir
	if dir == "" {
		dir = "/"
	}
	if err := os.Chdir(dir); err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	program, err := lookPath(spec.Args[0], spec.Env)
	if err != nil {
		return err
	}
	if err := becomeUser(spec); err != nil {
		return err
	}
	// A change of user clears the parent-death signal: ask again, or the program outlives its node.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("prctl: %w", err)
	}
	return unix.Exec(program, spec.Args, spec.Env)
}

// lookPath finds a program on the container's PATH, as a runtime does before it starts it.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, variable := range env {
		if value, ok := strings.CutPrefix(variable, "PATH="); ok {
			path = value
		}
	}
	for _, dir := range filepath.SplitList(path) {
		candidate := filepath.Join(dir, name)
		if info, err := os.Stat(candidate); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", name)
}

func becomeUser(spec *Spec) error {
	if spec.GID != nil {
		if err := unix.Setgroups(append([]int{*spec.GID}, spec.Groups...)); err != nil {
			return fmt.Errorf("groups: %w", err)
		}
		if err := unix.Setresgid(*spec.GID, *spec.GID, *spec.GID); err != nil {
			return fmt.Errorf("group %d: %w", *spec.GID, err)
		}
	}
	if spec.UID != nil {
		if err := unix.Setresuid(*spec.UID, *spec.UID, *spec.UID); err != nil {
			return fmt.Errorf("user %d: %w", *spec.UID, err)
		}
	}
	return nil
}
