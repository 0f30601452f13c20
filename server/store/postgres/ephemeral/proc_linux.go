package ephemeral

import (
	"os/exec"
	"syscall"
)

// detach puts the server in its own process group and has the kernel send
// it SIGQUIT (immediate shutdown) if the test process dies without
// stopping it. Go sets the parent-death signal after switching user, so it
// survives running the server as nobody.
func detach(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
}
