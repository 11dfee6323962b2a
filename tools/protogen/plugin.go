package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

// requestsByDir are the plugin requests buf's directory strategy makes
// (bufimage.ImageByDir and imageToCodeGeneratorRequest in buf v1.74): one
// per directory, in directory order, generating that directory's files,
// with the files they import as proto_file before them, and no compiler
// version (buf sends none, so the plugins write "(unknown)").
func requestsByDir(files fileSet, paths []string, parameter string) []*pluginpb.CodeGeneratorRequest {
	byDir := map[string][]string{}
	for _, p := range paths {
		byDir[path.Dir(p)] = append(byDir[path.Dir(p)], p)
	}
	var reqs []*pluginpb.CodeGeneratorRequest
	for _, dir := range slices.Sorted(maps.Keys(byDir)) {
		req := &pluginpb.CodeGeneratorRequest{}
		if parameter != "" {
			req.Parameter = proto.String(parameter)
		}
		for _, p := range files.ordered(byDir[dir]) {
			req.ProtoFile = append(req.ProtoFile, files[p])
			if slices.Contains(byDir[dir], p) {
				req.FileToGenerate = append(req.FileToGenerate, p)
				req.SourceFileDescriptors = append(req.SourceFileDescriptors, files[p])
			}
		}
		reqs = append(reqs, req)
	}
	return reqs
}

// generate runs p over req in dir, as buf runs a local plugin, and writes
// the files it answers under out. written holds every file written so far
// and by which plugin: a second write of one file is refused (buf refuses
// two plugins writing one file too), where it would have replaced the
// first in silence.
func (p plugin) generate(ctx context.Context, dir, out string, req *pluginpb.CodeGeneratorRequest, written map[string]string) error {
	for _, f := range req.ProtoFile {
		// buf strips source-retention options from proto_file's copies of
		// the files to generate. Only custom options can have them, and
		// defining one takes descriptor.proto, which a file using it
		// imports through the file defining it: refuse rather than differ.
		if slices.Contains(f.GetDependency(), "google/protobuf/descriptor.proto") {
			return fmt.Errorf("%s imports descriptor.proto, so custom options may be in use: protogen does not strip source-retention options as buf does; use buf", f.GetName())
		}
	}
	in, err := proto.Marshal(req)
	if err != nil {
		return err
	}
	name := strings.Join(p.Local, " ")
	cmd := exec.CommandContext(ctx, p.Local[0], p.Local[1:]...)
	cmd.Dir, cmd.Stdin, cmd.Stderr = dir, bytes.NewReader(in), os.Stderr
	answer, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(answer, &resp); err != nil {
		return fmt.Errorf("%s: its answer: %w", name, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("%s: %s", name, resp.GetError())
	}
	for _, f := range resp.File {
		target, err := write(filepath.Join(out, p.Out), f, written)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		written[target] = name
	}
	return nil
}

// write writes one generated file under root and returns its path,
// refusing what protogen does not do (insertion points), names outside
// root, and a file already written (a key of written).
func write(root string, f *pluginpb.CodeGeneratorResponse_File, written map[string]string) (string, error) {
	name := f.GetName()
	if f.GetInsertionPoint() != "" {
		return "", fmt.Errorf("%s: insertion points are not supported", name)
	}
	if !filepath.IsLocal(name) {
		return "", fmt.Errorf("%q is not a path under the output directory", name)
	}
	target := filepath.Join(root, filepath.FromSlash(name))
	if by, ok := written[target]; ok {
		return "", fmt.Errorf("%s: already written by %s", target, by)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return "", err
	}
	return target, os.WriteFile(target, []byte(f.GetContent()), 0o644)
}
