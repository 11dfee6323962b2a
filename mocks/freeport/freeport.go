// Package freeport hands out loopback ports for a process started a moment
// later to listen on (etcd, nginx, a bff run as a binary), which cannot
// announce a port of its own choosing.
//
// Asking the kernel (listening on :0 and closing) gives a port of its
// ephemeral range, which any connection another process opens in that
// moment may take first: the process then fails with "address already in
// use". The ports here are below that range, which connections do not take,
// and handed out in turn from a random start, so that two given out by one
// process never coincide. Across processes (the test binaries of several
// packages at once) a port handed out is also reserved for the life of the
// process that got it (reserve): a test that stops its etcd to restart it
// on the same port leaves the port free for a while, and another package's
// etcd started there meanwhile answered the first one's health check as
// its own, so that each test then paused, stopped or wrote to the other's.
// The reservations are lock files in a directory of the temporary one,
// left there (a few thousand after a CI run): deleting them while tests
// run drops the reservations, harmlessly once they have ended.
//
// It lives in mocks/ for its package state, the turn and the reservations.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// lowest is the first port handed out: above the well-known ones and the
// ports services commonly take by default.
const lowest = 20000

// turn is the last port handed out, less lowest.
var turn = func() *atomic.Int32 {
	var n atomic.Int32
	n.Store(rand.Int32N(10000))
	return &n
}()

// Port returns a loopback port nothing listens on now.
func Port() (int, error) {
	if top := ephemeralStart(); top > lowest+1000 {
		for range 200 {
			port := lowest + int(turn.Add(1))%(top-lowest)
			release, ok := reserve(port)
			if !ok {
				continue // reserved already, by another process or, past a whole turn, by this one
			}
			if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
				l.Close()
				return port, nil
			}
			release() // bound by a process that reserves nothing
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0") // a kernel whose range starts low: its choice
	if err != nil {
		return 0, fmt.Errorf("freeport: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Addr is Port as a host:port on 127.0.0.1.
func Addr() (string, error) {
	p, err := Port()
	if err != nil {
		return "", err
	}
	return "127.0.0.1:" + strconv.Itoa(p), nil
}

// ephemeralStart is the first port of the kernel's ephemeral range, or
// Linux's default where it cannot be read.
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if f := strings.Fields(string(b)); err == nil && len(f) == 2 {
		if n, err := strconv.Atoi(f[0]); err == nil {
			return n
		}
	}
	return 32768
}
