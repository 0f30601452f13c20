//go:build !unix

package ephemeral

import (
	"os"
	"os/exec"
)

type runAs struct{}

func unprivileged() (runAs, error) { return runAs{}, nil }
func (runAs) own(string) error     { return nil }
func (runAs) apply(*exec.Cmd)      {}
func (runAs) note() string         { return "" }
func detach(*exec.Cmd)             {}
func alive(int) bool               { return true } // unknown: never sweep
func quit(int)                     {}
func reraise(os.Signal)            {}
