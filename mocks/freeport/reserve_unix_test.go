//go:build unix

package freeport

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// holdEnv makes this test binary a process that reserves a port and holds
// it until its stdin closes.
const holdEnv = "FREEPORT_TEST_HOLD"

func TestMain(m *testing.M) {
	if port, err := strconv.Atoi(os.Getenv(holdEnv)); err == nil {
		if !reserve(port) {
			os.Exit(1)
		}
		os.Stdout.WriteString("held\n")
		io.Copy(io.Discard, os.Stdin) // until the parent closes it
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A port another process reserved is not handed out, bound or not, until
// that process ends: two test binaries must never start servers on one
// port, taking each other's for their own.
func TestAPortReservedByAnotherProcessIsNotHandedOut(t *testing.T) {
	port, err := Port()
	if err != nil {
		t.Fatal(err)
	}
	other := port + 1 // past the turn: this process has not reserved it
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), holdEnv+"="+strconv.Itoa(other))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() }) // after a failure below; a no-op once it ended
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "held\n" {
		t.Fatalf("helper: %q, %v", line, err)
	}
	turn.Store(int32(other - lowest - 1)) // the next turn is the port held
	if got, err := Port(); err != nil || got == other {
		t.Fatalf("Port() = %d, %v while another process holds %d", got, err, other)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	if !reserve(other) {
		t.Errorf("port %d still reserved after the process holding it ended", other)
	}
}
