package mosaic_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The repository stands alone: what its code and docs cite is inside it.
// Markdown links resolve to files here, nothing points outside the
// checkout, and every issue cited by number has its targets in
// docs/TARGETS.md (the tracker is not in the repository).

var (
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// "issue 12", "issues 5, 9 and 12", "issue #9", "issue 5 or 12", also
	// wrapped across lines of a Go comment.
	issueCited  = regexp.MustCompile(`(?i)\bissues?(?:\s|//)+#?\d+(?:(?:\s|//)*(?:,|\band\b|\bor\b)(?:\s|//)*#?\d+)*`)
	issueNumber = regexp.MustCompile(`\d+`)
	issueTarget = regexp.MustCompile(`(?m)^## Issue (\d+):`)
)

// sources are the repository's Markdown and Go files, testdata aside.
func sources(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != ".") {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".md" || ext == ".go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files[path] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestMarkdownLinksResolveInsideTheRepository(t *testing.T) {
	checked := 0
	for path, text := range sources(t) {
		if filepath.Ext(path) != ".md" {
			continue
		}
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			resolved := filepath.Join(filepath.Dir(path), target)
			if strings.HasPrefix(resolved, "..") {
				t.Errorf("%s links to %s, outside the repository", path, m[1])
				continue
			}
			if _, err := os.Stat(resolved); err != nil {
				t.Errorf("%s links to %s: %v", path, m[1], err)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no relative link found: the pattern reads nothing")
	}
}

func TestNothingCitesOutsideTheRepository(t *testing.T) {
	outside := "../" + "shared" // split, so that this file does not cite it
	for path, text := range sources(t) {
		if strings.Contains(text, outside) {
			t.Errorf("%s cites %s, which is not in the repository", path, outside)
		}
	}
}

func TestEveryCitedIssueHasItsTargetsInTheDocs(t *testing.T) {
	targets, err := os.ReadFile("docs/TARGETS.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range issueTarget.FindAllStringSubmatch(string(targets), -1) {
		documented[m[1]] = true
	}
	cited := map[string]string{} // issue → a file citing it
	for path, text := range sources(t) {
		for _, m := range issueCited.FindAllString(text, -1) {
			for _, n := range issueNumber.FindAllString(m, -1) {
				cited[n] = path
			}
		}
	}
	if len(cited) == 0 {
		t.Fatal("no issue cited anywhere: the pattern reads nothing")
	}
	for n, path := range cited {
		if !documented[n] {
			t.Errorf("%s cites issue %s; docs/TARGETS.md has no \"## Issue %s:\" section", path, n, n)
		}
	}
}
