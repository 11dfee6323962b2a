// Command protogen does what `buf generate` does for a buf module with
// local plugins, without building buf: it compiles the module's .proto
// files with the compiler buf embeds (protocompile, at the version buf pins
// in this go.mod, with buf's options), sends each directory's files to
// every plugin of buf.gen.yaml as buf does (its "directory" strategy), and
// writes what the plugins answer under -out.
//
// It exists for clients' TestGeneratedCodeIsCurrent: building buf takes
// about six minutes of CPU on a cold cache, about a fifth of a CI run's
// compiling, and this takes seconds. buf stays the generator (`go generate
// ./clients`); the test compares protogen's output with the committed files
// byte for byte, so the two must agree, and they did on every file when
// protogen was written. What buf.gen.yaml may say beyond what clients/ uses
// (remote plugins, managed mode, inputs, other strategies) is refused, not
// ignored.
//
// Usage, from the tools module: go run ./protogen -module ../clients -out DIR
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/types/descriptorpb"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "protogen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("protogen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	module := fs.String("module", ".", "the buf module's directory: buf.yaml, buf.gen.yaml and the .proto files")
	out := fs.String("out", "", "where to write the generated files (buf generate's --output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required")
	}
	cfg, err := readConfig(*module)
	if err != nil {
		return err
	}
	paths, err := protoPaths(*module)
	if err != nil {
		return err
	}
	files, err := compile(ctx, *module, paths)
	if err != nil {
		return err
	}
	written := map[string]string{}
	for _, p := range cfg.Plugins {
		for _, req := range requestsByDir(files, paths, p.Opt.joined()) {
			if err := p.generate(ctx, *module, *out, req, written); err != nil {
				return err
			}
		}
	}
	return nil
}

// fileSet indexes compiled files by path.
type fileSet map[string]*descriptorpb.FileDescriptorProto
