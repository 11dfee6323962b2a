package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// genConfig is the part of buf.gen.yaml (v2) protogen understands.
type genConfig struct {
	Version string   `yaml:"version"`
	Plugins []plugin `yaml:"plugins"`
}

// plugin is one entry of buf.gen.yaml's plugins: a local command.
type plugin struct {
	Local    words  `yaml:"local"`
	Out      string `yaml:"out"`
	Opt      words  `yaml:"opt"`
	Strategy string `yaml:"strategy"`
}

// words is a YAML string or list of strings, as buf takes local and opt.
type words []string

func (w *words) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*w = words{n.Value}
		return nil
	}
	return n.Decode((*[]string)(w))
}

// joined is the plugin parameter buf sends for opt: its entries joined by
// commas.
func (w words) joined() string { return strings.Join(w, ",") }

// moduleConfig is the part of buf.yaml (v2) protogen understands.
type moduleConfig struct {
	Version string `yaml:"version"`
	Modules []struct {
		Path string `yaml:"path"`
	} `yaml:"modules"`
}

// readConfig reads dir's buf.yaml and buf.gen.yaml, refusing what protogen
// would not do as buf does. Unknown keys are errors too (KnownFields).
func readConfig(dir string) (genConfig, error) {
	var mod moduleConfig
	if err := readYAML(filepath.Join(dir, "buf.yaml"), &mod); err != nil {
		return genConfig{}, err
	}
	if mod.Version != "v2" || len(mod.Modules) != 1 || filepath.Clean(mod.Modules[0].Path) != "." {
		return genConfig{}, errors.New("buf.yaml: protogen takes version v2 with one module at path .")
	}
	var gen genConfig
	if err := readYAML(filepath.Join(dir, "buf.gen.yaml"), &gen); err != nil {
		return genConfig{}, err
	}
	if gen.Version != "v2" || len(gen.Plugins) == 0 {
		return genConfig{}, errors.New("buf.gen.yaml: protogen takes version v2 with local plugins")
	}
	for i, p := range gen.Plugins {
		if len(p.Local) == 0 || p.Out == "" {
			return genConfig{}, fmt.Errorf("buf.gen.yaml: plugin %d: protogen runs local plugins with an out directory", i+1)
		}
		if p.Strategy != "" && p.Strategy != "directory" {
			return genConfig{}, fmt.Errorf("buf.gen.yaml: plugin %d: protogen runs the directory strategy only, not %q", i+1, p.Strategy)
		}
	}
	return gen, nil
}

func readYAML(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// protoPaths are the module's .proto files, relative to it, with forward
// slashes and sorted, as buf names them.
func protoPaths(dir string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".proto" {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		paths = append(paths, filepath.ToSlash(rel))
		return err
	})
	if err == nil && len(paths) == 0 {
		err = fmt.Errorf("no .proto files under %s", dir)
	}
	slices.Sort(paths)
	return paths, err
}
