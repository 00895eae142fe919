//go:build linux

package report

import (
	"io/fs"
	"strconv"
	"syscall"
)

// fileIdentity is a file's inode and change time, which a copy that keeps the modification time,
// or a change of permissions, does not keep.
func fileIdentity(st fs.FileInfo) string {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return "#" + strconv.FormatUint(sys.Ino, 10) + "@" + strconv.FormatInt(sys.Ctim.Sec, 10) + "." + strconv.FormatInt(sys.Ctim.Nsec, 10)
}
