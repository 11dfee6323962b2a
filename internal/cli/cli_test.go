package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// child is set in the test binary re-run as a process of its own, naming
// the run its Main should call.
const child = "CLI_TEST_CHILD"

// runs are the children's runs: each tells what it sees on stdout.
var runs = map[string]Run{
	"ok": func(context.Context, []string, func(string) string, io.Writer, io.Writer) error { return nil },
	"fail": func(context.Context, []string, func(string) string, io.Writer, io.Writer) error {
		return errors.New("boom")
	},
	// serve waits for the first signal, then for a shutdown that never
	// ends: only a second signal stops it.
	"serve": func(ctx context.Context, args []string, getenv func(string) string, stdout, _ io.Writer) error {
		fmt.Fprintf(stdout, "serving %s %s\n", args[0], getenv(child))
		<-ctx.Done()
		fmt.Fprintln(stdout, "draining")
		time.Sleep(20 * time.Second)
		return nil
	},
	// logs is serve with a log of its own, which tells the second signal.
	"logs": func(ctx context.Context, args []string, getenv func(string) string, stdout, _ io.Writer) error {
		OnCut(ctx, func(sig os.Signal) { fmt.Fprintf(stdout, "{\"level\":\"ERROR\",\"signal\":%q}\n", sig) })
		fmt.Fprintf(stdout, "serving %s %s\n", args[0], getenv(child))
		<-ctx.Done()
		fmt.Fprintln(stdout, "draining")
		time.Sleep(20 * time.Second)
		return nil
	},
}

func TestMain(m *testing.M) {
	if name := os.Getenv(child); name != "" {
		Main("prog", runs[name])
	}
	os.Exit(m.Run())
}

func start(t *testing.T, name string) (*exec.Cmd, *bufio.Scanner, *bytes.Buffer) {
	t.Helper()
	return startCmd(t, exec.Command(os.Args[0]), name)
}

// startCmd starts cmd, which runs this test binary as the child name.
func startCmd(t *testing.T, cmd *exec.Cmd, name string) (*exec.Cmd, *bufio.Scanner, *bytes.Buffer) {
	t.Helper()
	cmd.Env = append(os.Environ(), child+"="+name)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, bufio.NewScanner(stdout), &stderr
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode()
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("the process did not exit within 10s")
		return 0
	}
}

// A run that succeeds exits 0; one that fails exits 1, saying why after
// the binary's name.
func TestExitCodes(t *testing.T) {
	ok, _, _ := start(t, "ok")
	if code := exitCode(t, ok); code != 0 {
		t.Errorf("ok: exit %d", code)
	}
	fail, _, stderr := start(t, "fail")
	if code := exitCode(t, fail); code != 1 || stderr.String() != "prog: boom\n" {
		t.Errorf("fail: exit %d, stderr %q", code, stderr)
	}
}

// The first SIGTERM cancels run's context (run gets the process's args
// and environment); the second ends a shutdown that hangs, saying so.
func TestSecondSignalEndsTheProcess(t *testing.T) {
	cmd, out, stderr := start(t, "serve")
	if !out.Scan() || out.Text() != "serving "+os.Args[0]+" serve" {
		t.Fatalf("first line %q, %v", out.Text(), out.Err())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !out.Scan() || out.Text() != "draining" {
		t.Fatalf("after SIGTERM: %q, %v", out.Text(), out.Err())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exitCode(t, cmd)
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("state %v: want killed by the second SIGTERM", cmd.ProcessState)
	}
	if want := "prog: second signal (terminated): exiting at once, the shutdown cut short\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// A run with a log of its own (OnCut) tells the second signal there, and
// nothing goes to stderr.
func TestSecondSignalIsToldInRunsLog(t *testing.T) {
	cmd, out, stderr := start(t, "logs")
	// Each line but the last answers a SIGTERM: the first, then the second.
	lines := []string{"serving " + os.Args[0] + " logs", "draining", `{"level":"ERROR","signal":"terminated"}`}
	for i, want := range lines {
		if !out.Scan() || out.Text() != want {
			t.Fatalf("line %q (%v), want %q", out.Text(), out.Err(), want)
		}
		if i < len(lines)-1 {
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}
	}
	exitCode(t, cmd)
	if stderr.Len() != 0 {
		t.Errorf("stderr %q, want nothing: the run's log told it", stderr)
	}
}

// A process started with SIGINT ignored (a background job of a script)
// still drains on the first and exits on the second: as a shell reports a
// death by SIGINT, 130, since the signal's default handling is to ignore it.
func TestSecondSignalEndsAProcessStartedWithItIgnored(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("needs sh to start a process with SIGINT ignored")
	}
	cmd, out, stderr := startCmd(t, exec.Command(sh, "-c", `trap '' INT; exec "$0"`, os.Args[0]), "serve")
	if !out.Scan() || !strings.HasPrefix(out.Text(), "serving ") {
		t.Fatalf("first line %q, %v", out.Text(), out.Err())
	}
	cmd.Process.Signal(os.Interrupt)
	if !out.Scan() || out.Text() != "draining" {
		t.Fatalf("after SIGINT: %q, %v", out.Text(), out.Err())
	}
	cmd.Process.Signal(os.Interrupt)
	if code := exitCode(t, cmd); code != 130 || !strings.Contains(stderr.String(), "second signal (interrupt)") {
		t.Errorf("exit %d, stderr %q; want 130 and the line saying so", code, stderr.String())
	}
}

func TestExitCodeNamesTheBinary(t *testing.T) {
	var b bytes.Buffer
	if ExitCode("x", nil, &b) != 0 || b.Len() != 0 {
		t.Errorf("nil: %q", b.String())
	}
	if ExitCode("x", errors.New("y"), &b) != 1 || b.String() != "x: y\n" {
		t.Errorf("error: %q", b.String())
	}
}
