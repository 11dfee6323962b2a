package child

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// GoBuild builds pkgs (./cmd/bff...) of the Go module in the working
// directory into dir, logging the build on log after prefix; hint says
// what to do instead when there is no module.
func GoBuild(ctx context.Context, dir string, log io.Writer, prefix, hint string, pkgs ...string) error {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	mod := strings.TrimSpace(string(gomod))
	if err != nil || mod == "" || mod == os.DevNull {
		return fmt.Errorf("not inside the mosaic module (go env GOMOD: %v): run from it, or give %s", err, hint)
	}
	fmt.Fprintf(log, "%s: go build %s\n", prefix, strings.Join(pkgs, " "))
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = filepath.Dir(mod)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s in %s: %w", strings.Join(pkgs, " "), cmd.Dir, err)
	}
	return nil
}
