package dataset_test

import (
	"strings"
	"sync"
	"testing"

	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/mocks/dataset"
)

func TestUpdate(t *testing.T) {
	for _, cfg := range []dataset.Config{dataset.Classic(), dataset.Skewed()} {
		d := dataset.New(5, cfg)
		old := must(d.Archive(12))
		if err := d.UpdateArchive(12, func(a *archivev1.Archive) { a.Title = "changed" }); err != nil {
			t.Fatal(err)
		}
		if a := must(d.Archive(12)); a.GetTitle() != "changed" || a.GetDesc() != old.GetDesc() {
			t.Errorf("PerID %v: archive after update %v", cfg.PerID, a)
		}
		view := must(d.Stat(12)).GetView()
		if err := d.UpdateStat(12, func(s *statv1.Stat) { s.View++ }); err != nil || must(d.Stat(12)).GetView() != view+1 {
			t.Errorf("PerID %v: stat view %d after update from %d: %v", cfg.PerID, must(d.Stat(12)).GetView(), view, err)
		}
		// An entity never asked for before is generated, then changed.
		if err := d.UpdateProfile(1999, func(p *accountv1.Profile) { p.Name = "renamed" }); err != nil || must(d.Profile(1999)).GetName() != "renamed" {
			t.Errorf("PerID %v: profile after update: %v", cfg.PerID, err)
		}
	}
}

func TestUpdateRefused(t *testing.T) {
	d := dataset.New(5, dataset.Classic())
	before := must(d.Archive(3))
	for name, fn := range map[string]func(*archivev1.Archive){
		"owner":   func(a *archivev1.Archive) { a.OwnerMid++; a.Title = "x" },
		"state":   func(a *archivev1.Archive) { a.State = 1 - a.State; a.Title = "x" },
		"pubdate": func(a *archivev1.Archive) { a.Pubdate++; a.Title = "x" },
		"aid":     func(a *archivev1.Archive) { a.Aid = 4; a.Title = "x" },
	} {
		if err := d.UpdateArchive(3, fn); err == nil {
			t.Errorf("changing the %s was accepted", name)
		}
	}
	if after := must(d.Archive(3)); after.GetTitle() != before.GetTitle() {
		t.Error("a refused update changed the archive")
	}
	if err := d.UpdateProfile(3, func(p *accountv1.Profile) { p.Mid = 4 }); err == nil {
		t.Error("changing a profile's mid was accepted")
	}
	if err := d.UpdateStat(10_001, func(*statv1.Stat) {}); err == nil {
		t.Error("updated an unknown aid")
	}
	err := dataset.Shared(1).UpdateStat(1, func(s *statv1.Stat) { s.View = -1 })
	if err == nil || !strings.Contains(err.Error(), "read-only") || must(dataset.Shared(1).Stat(1)).GetView() == -1 {
		t.Errorf("updating the shared dataset: %v", err)
	}
}

// TestUpdateConcurrent: updates are neither lost nor seen half-done (run
// with -race).
func TestUpdateConcurrent(t *testing.T) {
	d := dataset.New(5, dataset.Skewed())
	const writers, each = 4, 50
	base := must(d.Stat(8)).GetLike()
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				if err := d.UpdateStat(8, func(s *statv1.Stat) { s.Like++; s.Coin = s.Like }); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for range each {
				if s := must(d.Stat(8)); s.GetCoin() != s.GetLike() && s.GetLike() != base {
					t.Errorf("a half-done update: %v", s)
				}
			}
		})
	}
	wg.Wait()
	if got := must(d.Stat(8)).GetLike(); got != base+writers*each {
		t.Errorf("like %d after %d increments from %d", got, writers*each, base)
	}
}
