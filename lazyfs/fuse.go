package lazyfs

import (
	"context"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

// node is go-fuse's loopback node with every change routed through the Layer. Operations the
// layer does not need to see (lookup, getattr, readdir, read, xattrs, locks) are the loopback's.
type node struct {
	fs.LoopbackNode
	layer *Layer
}

// newRoot is the root node of a FUSE filesystem over l's backing directory.
func newRoot(l *Layer) (*node, error) {
	var st unix.Stat_t
	if err := unix.Stat(l.root, &st); err != nil {
		return nil, err
	}
	data := &fs.LoopbackRoot{Path: l.root, Dev: st.Dev}
	data.NewNode = func(r *fs.LoopbackRoot, _ *fs.Inode, _ string, _ *syscall.Stat_t) fs.InodeEmbedder {
		return &node{LoopbackNode: fs.LoopbackNode{RootData: r}, layer: l}
	}
	root := &node{LoopbackNode: fs.LoopbackNode{RootData: data}, layer: l}
	data.RootNode = root
	return root, nil
}

// rel is the node's path in the backing directory.
func (n *node) rel() string {
	if p := n.Path(nil); p != "" {
		return p
	}
	return "."
}

func errno(err error) syscall.Errno { return fs.ToErrno(err) }

var (
	_ fs.NodeCreater        = (*node)(nil)
	_ fs.NodeOpener         = (*node)(nil)
	_ fs.NodeOpendirHandler = (*node)(nil)
	_ fs.NodeSetattrer      = (*node)(nil)
	_ fs.NodeRenamer        = (*node)(nil)
	_ fs.NodeTmpfiler       = (*node)(nil)
	_ fs.NodeCopyFileRanger = (*node)(nil)
)

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (ino *fs.Inode, e syscall.Errno) {
	n.layer.Change([]string{n.rel()}, func() error { ino, e = n.LoopbackNode.Mkdir(ctx, name, mode, out); return nil })
	return ino, e
}

func (n *node) Mknod(ctx context.Context, name string, mode, rdev uint32, out *fuse.EntryOut) (ino *fs.Inode, e syscall.Errno) {
	n.layer.Change([]string{n.rel()}, func() error { ino, e = n.LoopbackNode.Mknod(ctx, name, mode, rdev, out); return nil })
	return ino, e
}

func (n *node) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (ino *fs.Inode, e syscall.Errno) {
	n.layer.Change([]string{n.rel()}, func() error { ino, e = n.LoopbackNode.Symlink(ctx, target, name, out); return nil })
	return ino, e
}

func (n *node) Link(ctx context.Context, target fs.InodeEmbedder, name string, out *fuse.EntryOut) (ino *fs.Inode, e syscall.Errno) {
	n.layer.Change([]string{n.rel()}, func() error { ino, e = n.LoopbackNode.Link(ctx, target, name, out); return nil })
	return ino, e
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	return errno(n.layer.Unlink(n.rel(), name))
}

func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno {
	return errno(n.layer.Rmdir(n.rel(), name))
}

func (n *node) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	dst, ok := newParent.(*node)
	if !ok || dst.layer != n.layer {
		return syscall.EXDEV
	}
	return errno(n.layer.Rename(n.rel(), name, dst.rel(), newName, uint(flags)))
}

// Tmpfile (O_TMPFILE) is refused: linkat of such a file would bypass the layer.
func (n *node) Tmpfile(ctx context.Context, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	return nil, nil, 0, syscall.EOPNOTSUPP
}

// CopyFileRange is refused with ENOSYS, so the kernel falls back to reads and writes, which
// the layer sees.
func (n *node) CopyFileRange(ctx context.Context, fhIn fs.FileHandle, offIn uint64, out *fs.Inode, fhOut fs.FileHandle, offOut uint64, length uint64, flags uint64) (uint32, syscall.Errno) {
	return 0, syscall.ENOSYS
}

func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	flags &^= syscall.O_APPEND
	fd, ino, err := n.layer.Create(n.rel(), name, int(flags), mode)
	if err != nil {
		return nil, nil, 0, errno(err)
	}
	// The loopback's lookup makes the inode as every later lookup will (its generation included).
	child, e := n.LoopbackNode.Lookup(ctx, name, out)
	if e != 0 {
		syscall.Close(fd)
		return nil, nil, 0, e
	}
	return child, newFile(n.layer, fd, ino), 0, 0
}

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	flags &^= syscall.O_APPEND | fuse.FMODE_EXEC
	fd, ino, err := n.layer.Open(n.rel(), int(flags))
	if err != nil {
		return nil, 0, errno(err)
	}
	return newFile(n.layer, fd, ino), 0, 0
}

// Setattr routes a size change through the layer; the rest (mode, owner, times) is the
// loopback's and is not tracked.
func (n *node) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	lf, _ := f.(*file)
	if size, ok := in.GetSize(); ok {
		if lf != nil {
			if err := n.layer.Truncate(lf.fd, lf.ino, int64(size)); err != nil {
				return errno(err)
			}
		} else {
			fd, ino, err := n.layer.Open(n.rel(), syscall.O_WRONLY)
			if err != nil {
				return errno(err)
			}
			err = n.layer.Truncate(fd, ino, int64(size))
			syscall.Close(fd)
			if err != nil {
				return errno(err)
			}
		}
		rest := *in
		rest.Valid &^= fuse.FATTR_SIZE
		in = &rest
	}
	var inner fs.FileHandle
	if lf != nil {
		inner = lf.LoopbackFile
	}
	return n.LoopbackNode.Setattr(ctx, inner, in, out)
}

// dirHandle is the loopback's directory stream with its fsync routed through the layer.
type dirHandle struct {
	loopbackDir
	node *node
}

type loopbackDir interface {
	fs.FileReaddirenter
	fs.FileSeekdirer
	fs.FileReleasedirer
}

func (n *node) OpendirHandle(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	h, fuseFlags, e := n.LoopbackNode.OpendirHandle(ctx, flags)
	if e != 0 {
		return nil, 0, e
	}
	d, ok := h.(loopbackDir)
	if !ok {
		return nil, 0, syscall.ENOTSUP
	}
	return &dirHandle{loopbackDir: d, node: n}, fuseFlags, 0
}

func (d *dirHandle) Fsyncdir(ctx context.Context, flags uint32) syscall.Errno {
	return errno(d.node.layer.FsyncDir(d.node.rel()))
}

// The mount has no extended attributes: the layer does not track them (docs/lazyfs.md), and
// answering ENOSYS once stops the kernel asking for security.capability before every write, a
// round trip each.
func (n *node) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	return 0, syscall.ENOSYS
}

func (n *node) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return syscall.ENOSYS
}

func (n *node) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	return 0, syscall.ENOSYS
}

func (n *node) Removexattr(ctx context.Context, attr string) syscall.Errno {
	return syscall.ENOSYS
}
