package lazyfs

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// The control interface is a unix socket. A client sends one command line and reads one JSON
// line back: {"ok":true,"command":...,"bytes":...,"files":...,"entries":...} or
// {"ok":false,"command":...,"error":"..."}.
//
//	stats           what is not durable (bytes, files, entries, dirs)
//	lose-unfsynced  drop it, as a power cut would, and report what was dropped
//	sync            make everything durable (a clean sync), and report what was not
const (
	CmdStats = "stats"
	CmdLose  = "lose-unfsynced"
	CmdSync  = "sync"
)

// Reply is the answer to one command.
type Reply struct {
	OK      bool   `json:"ok"`
	Command string `json:"command"`
	Error   string `json:"error,omitempty"`
	Bytes   int64  `json:"bytes"`
	Files   int    `json:"files"`
	Entries int    `json:"entries"`
	Dirs    int    `json:"dirs,omitempty"`
}

// Serve answers commands on ln until ctx ends.
func (m *Mount) Serve(ctx context.Context, ln net.Listener) error {
	go func() { <-ctx.Done(); ln.Close() }()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go m.answer(conn)
	}
}

func (m *Mount) answer(conn net.Conn) {
	defer conn.Close()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil && line == "" {
		return
	}
	json.NewEncoder(conn).Encode(m.Do(strings.TrimSpace(line)))
}

// Do runs one control command.
func (m *Mount) Do(cmd string) Reply {
	r := Reply{Command: cmd}
	var res Result
	var err error
	switch cmd {
	case CmdStats:
		var st Stats
		st, err = m.Layer.Stats()
		res, r.Dirs = Result{Bytes: st.Bytes, Files: st.Files, Entries: st.Entries}, st.Dirs
	case CmdLose:
		res, err = m.Lose(10 * time.Second)
	case CmdSync:
		res, err = m.Sync()
	default:
		err = fmt.Errorf("unknown command %q (want %s, %s or %s)", cmd, CmdStats, CmdLose, CmdSync)
	}
	r.Bytes, r.Files, r.Entries = res.Bytes, res.Files, res.Entries
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.OK = true
	return r
}

// Call sends cmd to the control socket at path and returns the reply; a reply that is not OK
// is an error too.
func Call(ctx context.Context, path, cmd string) (Reply, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return Reply{}, fmt.Errorf("lazyfs: control socket: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if _, err := fmt.Fprintf(conn, "%s\n", cmd); err != nil {
		return Reply{}, err
	}
	var r Reply
	if err := json.NewDecoder(conn).Decode(&r); err != nil {
		return Reply{}, fmt.Errorf("lazyfs: reading the reply to %q: %w", cmd, err)
	}
	if !r.OK {
		return r, errors.New("lazyfs: " + cmd + ": " + r.Error)
	}
	return r, nil
}
