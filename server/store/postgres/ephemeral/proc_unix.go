//go:build unix

package ephemeral

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

// runAs is the user the cluster's processes run as: initdb and postgres
// refuse to run as root (a server process that can write anything is one
// SQL injection away from owning the machine), so as root ephemeral runs them
// as "nobody" with the cluster directory chowned to it.
type runAs struct {
	uid, gid uint32
	name     string // "" when running as ourselves
}

func unprivileged() (runAs, error) {
	if os.Geteuid() != 0 {
		return runAs{}, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return runAs{}, fmt.Errorf("running as root, and there is no user nobody to run initdb as: %v", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return runAs{}, err
	}
	return runAs{uid: uint32(uid), gid: uint32(gid), name: "nobody"}, nil
}

func (r runAs) own(dir string) error {
	if r.name == "" {
		return nil
	}
	return os.Chown(dir, int(r.uid), int(r.gid))
}

func (r runAs) apply(cmd *exec.Cmd) {
	if r.name == "" {
		return
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: r.uid, Gid: r.gid, NoSetGroups: true}
}

func (r runAs) note() string {
	if r.name == "" {
		return ""
	}
	return ", run as " + r.name
}

// alive reports whether a process with the given pid exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// quit asks a postmaster for an immediate shutdown.
func quit(pid int) { _ = syscall.Kill(pid, syscall.SIGQUIT) }

// reraise sends sig to the process again, for its default action.
func reraise(sig os.Signal) {
	if s, ok := sig.(syscall.Signal); ok {
		_ = syscall.Kill(os.Getpid(), s)
	}
}
