package mosaic_test

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"mosaic/internal/tooltest"
)

// The package rules of docs/ARCHITECTURE.md ("Packages and what each may
// import"), as a test: each rule names the packages it holds for (a path
// and everything below it) and the imports they must not have (the same).
// A rule may allow exceptions, each with its reason in the docs. The rules
// hold for a package's own imports: what it reaches through them is the
// other rules' to hold (the generated message types, which the adapters
// read, bring their gRPC stubs along, which no adapter calls).
var importRules = []struct {
	pkgs, except []string
	forbid       []string
	why          string
}{
	{pkgs: []string{"mosaic/dto"}, forbid: []string{"mosaic/"},
		why: "the wire types depend on nothing of mosaic"},
	{pkgs: []string{"mosaic/clients"}, forbid: []string{"mosaic/bff", "mosaic/mocks", "mosaic/cmd", "mosaic/internal/bench"},
		why: "fetching knows nothing of scenes, devices or test doubles"},
	{pkgs: []string{"mosaic/bff/scene"}, forbid: []string{"mosaic/", "net/http", "google.golang.org/grpc"},
		except: generatedMessages,
		why:    "the scenes are types only: what adapting reads, whoever fetched it"},
	{pkgs: []string{"mosaic/bff/assemble"}, forbid: []string{"mosaic/bff", "mosaic/dto", "mosaic/mocks", "net/http"}, except: []string{"mosaic/bff/scene"},
		why: "assembling is device-neutral and transport-neutral"},
	{pkgs: []string{"mosaic/bff/device"}, forbid: []string{"mosaic/clients/", "mosaic/mocks", "net/http", "google.golang.org/grpc"},
		except: generatedMessages,
		why:    "adapting is pure functions of a scene: no I/O, no clients (the generated message types aside)"},
	{pkgs: devicePackages, forbid: []string{"mosaic/clients/", "mosaic/mocks", "google.golang.org/grpc"},
		except: generatedMessages,
		why:    "a device package is its adapters (pure) and its routes: it never fetches"},
	{pkgs: []string{"mosaic/bff/device"}, forbid: []string{"mosaic/bff/"}, except: []string{"mosaic/bff/scene"},
		why: "what adapters share reads the scene's types and nothing else of the bff: no HTTP, no device"},
	{pkgs: devicePackages, forbid: []string{"mosaic/bff/"}, except: []string{"mosaic/bff/device", "mosaic/bff/endpoint", "mosaic/bff/scene"},
		why: "a device never imports another device, the registry or the wiring: only what adapters share, the scene's types and the routes every device serves"},
	{pkgs: []string{"mosaic/bff/endpoint", "mosaic/bff/request", "mosaic/bff/problem", "mosaic/bff/httpx", "mosaic/bff/accesslog", "mosaic/bff/admission"},
		forbid: append([]string{"mosaic/bff/devices", "mosaic/bff/server"}, devicePackages...),
		why:    "the HTTP side serves whatever device it is given: it names none"},
	{pkgs: []string{"mosaic/mocks"}, forbid: []string{"mosaic/bff", "mosaic/cmd", "mosaic/internal/bench", "mosaic/clients/conn", "mosaic/clients/batch", "mosaic/clients/cache"},
		why: "the test doubles are an oracle independent of the production code they check"},
	{pkgs: []string{"mosaic/internal/tooltest"}, forbid: []string{"mosaic/"},
		why: "every layer's tests import it, so it imports none of them"},
	{pkgs: []string{"mosaic/bff", "mosaic/clients", "mosaic/dto", "mosaic/mocks"}, forbid: []string{"mosaic/internal/bench", "mosaic/cmd"},
		why: "the product and its doubles never depend on the tools"},
}

// generatedMessages are the downstreams' generated message types, which the
// scenes carry to the adapters.
var generatedMessages = []string{"mosaic/clients/account/v1", "mosaic/clients/archive/v1", "mosaic/clients/relation/v1", "mosaic/clients/reply/v1", "mosaic/clients/stat/v1", "mosaic/clients/feed/v1"}

var devicePackages = []string{"mosaic/bff/app", "mosaic/bff/pad", "mosaic/bff/web", "mosaic/bff/mini"}

// mockModeWiring may import mocks/: they build mock mode and the test topology.
var mockModeWiring = []string{"mosaic/bff/server", "mosaic/bff/apitest", "mosaic/bff/specmock"}

func under(path, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func anyUnder(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasSuffix(p, "/") && strings.HasPrefix(path, p) || under(path, p) {
			return true
		}
	}
	return false
}

// imports lists every non-test package of the module with its imports.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		pkgs[f[0]] = f[1:]
	}
	return pkgs
}

func TestPackagesImportOnlyWhatTheirLayerMay(t *testing.T) {
	pkgs := imports(t)
	if len(pkgs) < 40 {
		t.Fatalf("go list found %d packages: the test is not looking at the module", len(pkgs))
	}
	for pkg, imps := range pkgs {
		for _, r := range importRules {
			if !anyUnder(pkg, r.pkgs) {
				continue
			}
			for _, imp := range imps {
				if imp == pkg || under(imp, pkg) || !anyUnder(imp, r.forbid) || anyUnder(imp, r.except) {
					continue
				}
				t.Errorf("%s imports %s: %s", pkg, imp, r.why)
			}
		}
		if under(pkg, "mosaic/bff") && !anyUnder(pkg, mockModeWiring) {
			for _, imp := range imps {
				if under(imp, "mosaic/mocks") {
					t.Errorf("%s imports %s: only the mock-mode wiring (%v) may", pkg, imp, mockModeWiring)
				}
			}
		}
	}
}

// goFiles are the module's Go files that count for size: not tests, not
// generated code.
func goFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "deploy" || d.Name() == "tools" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir // modules of their own, and data
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, ".pb.go") {
			return nil
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestNoFileOver400Lines(t *testing.T) {
	files := goFiles(t)
	if len(files) < 100 {
		t.Fatalf("found %d Go files: the test is not looking at the module", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("\n// Code generated ")) || bytes.HasPrefix(b, []byte("// Code generated ")) {
			continue
		}
		if n := bytes.Count(b, []byte("\n")); n > 400 {
			t.Errorf("%s: %d lines, over 400: split it by what it holds", f, n)
		}
	}
}

// TestNoFunctionOverComplexity15 runs gocyclo, pinned in the tools module
// (go tool -modfile=tools/go.mod gocyclo), over the module.
func TestNoFunctionOverComplexity15(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: gocyclo builds from the tools module")
	}
	cmd := exec.Command("go", "tool", "-modfile=tools/go.mod", "gocyclo", "-over", "15", "-ignore", `_test|\.pb\.go|^deploy/|^tools/`, ".")
	// gocyclo lists what is over on stdout; stderr is the go command's
	// (on a fresh machine, "go: downloading ..." for the tool), which is
	// not a finding.
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("functions over cyclomatic complexity 15 (split them):\n%s", out)
	}
	if err != nil {
		tooltest.Missing(t, "cannot run gocyclo from the tools module (modules not downloadable? go mod download -modfile=tools/go.mod): %v\n%s", err, stderr.Bytes())
	}
}

// packageState are the package-level variables outside mocks/ that are no
// state: each is written once, at init, and only read after. Any other
// (sentinel errors aside) is state shared by everything in the process,
// which the design keeps in mocks/ alone: add it here only with its reason.
var packageState = map[string]string{
	"api.go spec":                            "the embedded spec; OpenAPI hands out copies",
	"bff/admin/qa/qa.go assets":              "an embedded, read-only file system",
	"bff/endpoint/conventions.go everyScene": "a list read only (varyOn copies it before appending)",
	"bff/httpx/cors.go exposed":              "a list read only (rs/cors copies it)",
	"bff/specmock/specmock.go lenient":       "a list read only",
	"internal/flagenv/flagenv.go ErrHelp":    "a sentinel error, flag's",
}

func TestNoPackageStateOutsideMocks(t *testing.T) {
	fset := token.NewFileSet()
	seen := 0
	for _, path := range goFiles(t) {
		if under(filepath.ToSlash(path), "mocks") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					seen++
					key := filepath.ToSlash(path) + " " + name.Name
					if _, ok := packageState[key]; ok || name.Name == "_" || i < len(vs.Values) && sentinel(vs.Values[i]) {
						continue
					}
					t.Errorf("%s: package-level var %s: state outside mocks/ (make it a field of what uses it, or list it in packageState with why it is not state)", fset.Position(name.Pos()), name.Name)
				}
			}
		}
	}
	if seen < len(packageState) {
		t.Fatalf("saw %d package-level vars, fewer than the %d listed: the test is not looking at the module", seen, len(packageState))
	}
}

// sentinel reports whether v is errors.New(...): an error compared by
// identity, never written.
func sentinel(v ast.Expr) bool {
	call, ok := v.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "errors" && sel.Sel.Name == "New"
}
