package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

// fakePlugin, set in the environment, makes this test binary a protoc
// plugin: for each file to generate it answers <file>.txt (or <file>.<opt>
// .txt) listing the request's proto_file, file_to_generate and parameter,
// so a test reads back what protogen sent.
const fakePlugin = "PROTOGEN_FAKE_PLUGIN"

func TestMain(m *testing.M) {
	if os.Getenv(fakePlugin) != "" {
		if err := answer(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func answer(in io.Reader, out io.Writer) error {
	b, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	var req pluginpb.CodeGeneratorRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		return err
	}
	var all []string
	for _, f := range req.ProtoFile {
		all = append(all, f.GetName())
	}
	var resp pluginpb.CodeGeneratorResponse
	for _, name := range req.FileToGenerate {
		suffix := ".txt"
		if req.GetParameter() != "" {
			suffix = "." + strings.ReplaceAll(req.GetParameter(), ",", "+") + ".txt"
		}
		content := fmt.Sprintf("proto_file=%s\nfile_to_generate=%s\nparameter=%s\n",
			strings.Join(all, ","), strings.Join(req.FileToGenerate, ","), req.GetParameter())
		resp.File = append(resp.File, &pluginpb.CodeGeneratorResponse_File{Name: proto.String(name + suffix), Content: proto.String(content)})
	}
	b, err = proto.Marshal(&resp)
	if err != nil {
		return err
	}
	_, err = out.Write(b)
	return err
}

// module writes a buf module: buf.yaml, the given buf.gen.yaml, and three
// files in two directories, b/b.proto importing a/a.proto.
func module(t *testing.T, gen string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"buf.yaml":     "version: v2\nmodules:\n  - path: .\n",
		"buf.gen.yaml": gen,
		"a/a.proto":    "syntax = \"proto3\";\npackage a;\nmessage A { int64 id = 1; }\n",
		"b/b.proto":    "syntax = \"proto3\";\npackage b;\nimport \"a/a.proto\";\nmessage B { a.A a = 1; }\n",
		"b/c.proto":    "syntax = \"proto3\";\npackage b;\nmessage C { string s = 1; }\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(fakePlugin, "1") // the plugin processes inherit it
	return exe
}

// protogen sends each directory's files in one request, with what they
// import before them, and opt joined by commas, as buf's directory
// strategy does.
func TestRequestsByDirectory(t *testing.T) {
	exe := self(t)
	dir := module(t, fmt.Sprintf("version: v2\nplugins:\n  - local: %q\n    out: gen\n    opt: [x=1, y=2]\n", exe))
	out := t.TempDir()
	if err := run(context.Background(), []string{"-module", dir, "-out", out}, io.Discard); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"gen/a/a.proto.x=1+y=2.txt": "proto_file=a/a.proto\nfile_to_generate=a/a.proto\nparameter=x=1,y=2\n",
		"gen/b/b.proto.x=1+y=2.txt": "proto_file=a/a.proto,b/b.proto,b/c.proto\nfile_to_generate=b/b.proto,b/c.proto\nparameter=x=1,y=2\n",
		"gen/b/c.proto.x=1+y=2.txt": "proto_file=a/a.proto,b/b.proto,b/c.proto\nfile_to_generate=b/b.proto,b/c.proto\nparameter=x=1,y=2\n",
	}
	for name, text := range want {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(got) != text {
			t.Errorf("%s:\n%s\nwant:\n%s", name, got, text)
		}
	}
}

// Two plugins writing one file: the second is refused, naming both, where
// it would have replaced the first in silence.
func TestTwoPluginsWritingOneFileAreRefused(t *testing.T) {
	exe := self(t)
	dir := module(t, fmt.Sprintf("version: v2\nplugins:\n  - local: %q\n    out: gen\n  - local: [%q]\n    out: gen\n", exe, exe))
	err := run(context.Background(), []string{"-module", dir, "-out", t.TempDir()}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already written by") {
		t.Fatalf("run: %v, want the second write refused", err)
	}
	// Different out directories do not collide.
	dir = module(t, fmt.Sprintf("version: v2\nplugins:\n  - local: %q\n    out: one\n  - local: %q\n    out: two\n", exe, exe))
	if err := run(context.Background(), []string{"-module", dir, "-out", t.TempDir()}, io.Discard); err != nil {
		t.Fatalf("run with two out directories: %v", err)
	}
}

// What buf.gen.yaml or buf.yaml may say beyond what protogen does as buf
// does is refused, not ignored.
func TestConfigBeyondProtogenIsRefused(t *testing.T) {
	for _, tt := range []struct{ name, gen, want string }{
		{"remote plugin", "version: v2\nplugins:\n  - remote: buf.build/protocolbuffers/go\n    out: gen\n", "remote"},
		{"no out", "version: v2\nplugins:\n  - local: protoc-gen-go\n", "out directory"},
		{"another strategy", "version: v2\nplugins:\n  - local: protoc-gen-go\n    out: gen\n    strategy: all\n", "directory strategy"},
		{"v1", "version: v1\nplugins:\n  - local: protoc-gen-go\n    out: gen\n", "version v2"},
		{"managed mode", "version: v2\nmanaged:\n  enabled: true\nplugins:\n  - local: protoc-gen-go\n    out: gen\n", "managed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readConfig(module(t, tt.gen))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("readConfig: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestWriteRefusesWhatProtogenDoesNotDo(t *testing.T) {
	root := t.TempDir()
	for _, tt := range []struct {
		name string
		file *pluginpb.CodeGeneratorResponse_File
		want string
	}{
		{"outside the output", &pluginpb.CodeGeneratorResponse_File{Name: proto.String("../x.go")}, "not a path under"},
		{"absolute", &pluginpb.CodeGeneratorResponse_File{Name: proto.String("/tmp/x.go")}, "not a path under"},
		{"insertion point", &pluginpb.CodeGeneratorResponse_File{Name: proto.String("x.go"), InsertionPoint: proto.String("imports")}, "insertion points"},
	} {
		if _, err := write(root, tt.file, map[string]string{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	target, err := write(root, &pluginpb.CodeGeneratorResponse_File{Name: proto.String("d/x.go"), Content: proto.String("package d\n")}, map[string]string{})
	if b, _ := os.ReadFile(target); err != nil || string(b) != "package d\n" {
		t.Errorf("write: %q, %v", b, err)
	}
}
