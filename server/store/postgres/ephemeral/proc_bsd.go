//go:build unix && !linux

package ephemeral

import (
	"os/exec"
	"syscall"
)

// detach puts the server in its own process group; without a parent-death
// signal, a cluster of a killed process is stopped by the next run's sweep.
func detach(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}
