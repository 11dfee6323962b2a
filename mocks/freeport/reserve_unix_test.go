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
// it until its stdin closes; it says "held", or exits 1 when another
// process has the port.
const holdEnv = "FREEPORT_TEST_HOLD"

func TestMain(m *testing.M) {
	if port, err := strconv.Atoi(os.Getenv(holdEnv)); err == nil {
		if _, ok := reserve(port); !ok {
			os.Exit(1)
		}
		os.Stdout.WriteString("held\n")
		io.Copy(io.Discard, os.Stdin) // until the parent closes it
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// holder is another process holding a reserved port.
type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// hold starts a process that reserves port; false when another process
// has it already (a test binary running beside this one).
func hold(t *testing.T, port int) (*holder, bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), holdEnv+"="+strconv.Itoa(port))
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
	t.Cleanup(func() { cmd.Process.Kill() }) // after a failure; a no-op once it ended
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "held\n" {
		cmd.Wait()
		return nil, false
	}
	return &holder{cmd, stdin}, true
}

// A port another process reserved is not handed out, bound or not, until
// that process ends: two test binaries must never start servers on one
// port, taking each other's for their own.
func TestAPortReservedByAnotherProcessIsNotHandedOut(t *testing.T) {
	top := ephemeralStart()
	if top <= lowest+1000 {
		t.Skipf("the kernel's ephemeral range starts at %d: Port asks the kernel, and reserves nothing", top)
	}
	var h *holder
	other := 0
	for try := range 20 { // ports this process has not reserved, one that no other process has
		p, err := Port()
		if err != nil {
			t.Fatal(err)
		}
		other = lowest + (p-lowest+1+try)%(top-lowest)
		if held, ok := hold(t, other); ok {
			h = held
			break
		}
	}
	if h == nil {
		t.Fatal("no port another process could hold in 20 tries")
	}
	turn.Store(int32(other - lowest - 1)) // the next turn is the port held
	if got, err := Port(); err != nil || got == other {
		t.Fatalf("Port() = %d, %v while another process holds %d", got, err, other)
	}
	h.stdin.Close()
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("holder: %v", err)
	}
	if _, ok := reserve(other); !ok {
		t.Errorf("port %d still reserved after the process holding it ended", other)
	}
}
