package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/bufbuild/protocompile/experimental/fdp"
	"github.com/bufbuild/protocompile/experimental/incremental"
	"github.com/bufbuild/protocompile/experimental/incremental/queries"
	"github.com/bufbuild/protocompile/experimental/ir"
	"github.com/bufbuild/protocompile/experimental/report"
	"github.com/bufbuild/protocompile/experimental/source"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// compile compiles paths under dir as buf's image build does
// (bufimage.compileImage in buf v1.74): one FDS query over the whole
// module, source code info and extra option locations included, the
// well-known types from the compiler's own copies.
func compile(ctx context.Context, dir string, paths []string) (fileSet, error) {
	var opts fdp.Options
	opts.Apply(fdp.IncludeSourceCodeInfo(true), fdp.GenerateExtraOptionLocations(true))
	opener := &source.Openers{&source.FS{FS: os.DirFS(dir)}, source.WKTs()}
	results, diags, err := incremental.Run(ctx, incremental.New(), queries.FDS{
		Opener:    opener,
		Session:   new(ir.Session),
		Workspace: source.NewWorkspace(paths...),
		Options:   opts,
	})
	if err != nil {
		return nil, err
	}
	if diags != nil {
		if text, errs, _ := (report.Renderer{}).RenderString(diags); errs > 0 {
			return nil, fmt.Errorf("compiling %s:\n%s", dir, text)
		}
	}
	if len(results) != 1 {
		return nil, fmt.Errorf("compiling %s: %d results, want 1", dir, len(results))
	}
	if results[0].Fatal != nil {
		return nil, results[0].Fatal
	}
	// buf's round trip (resolverForFDS): the compiler keeps options as
	// unknown bytes, which a parse turns into their fields.
	b, err := proto.Marshal(results[0].Value)
	if err != nil {
		return nil, err
	}
	var fds descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(b, &fds); err != nil {
		return nil, err
	}
	files := fileSet{}
	for _, f := range fds.File {
		files[f.GetName()] = f
	}
	for _, p := range paths {
		if files[p] == nil {
			return nil, errors.New("the compiler returned no descriptor for " + p)
		}
	}
	return files, nil
}

// ordered is files's paths in buf's image order: each of paths after the
// files it imports, depth first (bufimage.fileDescriptorSetToImage).
func (files fileSet) ordered(paths []string) []string {
	var order []string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		for _, dep := range files[p].GetDependency() {
			visit(dep)
		}
		order = append(order, p)
	}
	for _, p := range paths {
		visit(p)
	}
	return order
}
