package lazyfs

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

// Mount is a Layer served by FUSE at a mount point.
type Mount struct {
	Layer *Layer
	point string

	mu     sync.Mutex // one control action at a time
	server *fuse.Server
}

// NewMount mounts l at point (an existing directory). The mount is made with mount(2) directly
// (no fusermount): it needs CAP_SYS_ADMIN and /dev/fuse.
func NewMount(l *Layer, point string) (*Mount, error) {
	m := &Mount{Layer: l, point: point}
	if err := m.mount(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Mount) mount() error {
	root, err := newRoot(m.Layer)
	if err != nil {
		return err
	}
	server, err := fs.Mount(m.point, root, &fs.Options{MountOptions: fuse.MountOptions{
		DirectMountStrict: true,
		AllowOther:        true,
		FsName:            m.Layer.root,
		Name:              "lazyfs",
		// Keep cached pages when a file's mtime changes: only writes through this mount
		// change the files (Lose unmounts, dropping every cache), so the cache is never stale.
		// Without it the kernel dropped a file's pages at every size or mtime change it saw,
		// and each read of an appended log went to the daemon (docs/benchmarks.md).
		ExplicitDataCacheControl: true,
	}})
	if err != nil {
		return fmt.Errorf("lazyfs: mounting %s: %w", m.point, err)
	}
	m.server = server
	return nil
}

// unmount flushes the kernel's dirty pages of the mount (mmap writes not yet written back
// arrive as writes, which the layer records as un-fsynced) and unmounts, retrying while the
// mount is busy (a killed process may take a moment to release its files).
func (m *Mount) unmount(patience time.Duration) error {
	if fd, err := unix.Open(m.point, unix.O_RDONLY|unix.O_DIRECTORY, 0); err == nil {
		unix.Syncfs(fd)
		unix.Close(fd)
	}
	deadline := time.Now().Add(patience)
	for {
		err := m.server.Unmount()
		if err == nil {
			m.server.Wait()
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("lazyfs: unmounting %s (files still open? stop what uses it first): %w", m.point, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Lose drops what is not durable, as a power cut would: the mount goes away (and with it the
// kernel's caches of it), the backing tree is reverted, and the mount comes back.
func (m *Mount) Lose(patience time.Duration) (Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.unmount(patience); err != nil {
		return Result{}, err
	}
	res, lerr := m.Layer.Lose()
	if err := m.mount(); err != nil {
		return res, errors.Join(lerr, err)
	}
	return res, lerr
}

// Sync flushes the kernel's dirty pages of the mount, then makes everything durable.
func (m *Mount) Sync() (Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fd, err := unix.Open(m.point, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return Result{}, err
	}
	err = unix.Syncfs(fd)
	unix.Close(fd)
	if err != nil {
		return Result{}, fmt.Errorf("lazyfs: syncfs of %s: %w", m.point, err)
	}
	return m.Layer.Sync()
}

// Close unmounts.
func (m *Mount) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.unmount(5 * time.Second)
}

// Wait blocks until the mount is gone for good (unmounted from outside, or Close).
func (m *Mount) Wait() {
	for {
		m.mu.Lock()
		s := m.server
		m.mu.Unlock()
		s.Wait()
		m.mu.Lock()
		same := m.server == s
		m.mu.Unlock()
		if same {
			return
		}
	}
}
