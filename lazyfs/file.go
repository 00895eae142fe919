package lazyfs

import (
	"context"
	"os"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// file is an open backing file whose changes go through the layer. It embeds go-fuse's
// LoopbackFile for the rest (read, getattr, locks, lseek, flush, release) but hides its
// PassthroughFd: with kernel passthrough, writes would bypass this process.
type file struct {
	*fs.LoopbackFile
	layer *Layer
	fd    int // owned by LoopbackFile, which closes it on release
	ino   uint64
}

func newFile(l *Layer, fd int, ino uint64) *file {
	return &file{LoopbackFile: fs.NewLoopbackFileFromOS(os.NewFile(uintptr(fd), "")), layer: l, fd: fd, ino: ino}
}

var (
	_ fs.FileWriter    = (*file)(nil)
	_ fs.FileFsyncer   = (*file)(nil)
	_ fs.FileAllocater = (*file)(nil)
	_ fs.FileSetattrer = (*file)(nil)
)

// PassthroughFd refuses kernel passthrough (see file).
func (f *file) PassthroughFd() (int, bool) { return -1, false }

func (f *file) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	n, err := f.layer.Write(f.fd, f.ino, data, off)
	return uint32(max(n, 0)), errno(err)
}

// Writev joins the buffers: one tracked write.
func (f *file) Writev(ctx context.Context, data [][]byte, off int64) (uint32, syscall.Errno) {
	var all []byte
	for _, d := range data {
		all = append(all, d...)
	}
	return f.Write(ctx, all, off)
}

// Fsync is fsync(2) and fdatasync(2) (flags bit 0); both make the file's content durable.
func (f *file) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	return errno(f.layer.Fsync(f.fd, f.ino, flags&1 != 0))
}

func (f *file) Allocate(ctx context.Context, off uint64, size uint64, mode uint32) syscall.Errno {
	return errno(f.layer.Allocate(f.fd, f.ino, int64(off), int64(size), mode))
}

// Setattr is reached only through node.Setattr, which has taken the size out.
func (f *file) Setattr(ctx context.Context, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if _, ok := in.GetSize(); ok {
		return syscall.EINVAL
	}
	return f.LoopbackFile.Setattr(ctx, in, out)
}
