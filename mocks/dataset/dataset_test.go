package dataset_test

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"mosaic/clients/contract"
	feedv1 "mosaic/clients/feed/v1"
	replyv1 "mosaic/clients/reply/v1"
	"mosaic/mocks/dataset"
)

func TestDeterministicInProcess(t *testing.T) {
	t.Parallel() // with TestDeterministicAcrossProcesses, whose child has its own CPU
	// Build seed 1 again concurrently with seed 2: the faker lock must keep both
	// sequences intact.
	var again, other *dataset.Dataset
	var wg sync.WaitGroup
	start := time.Now()
	wg.Go(func() { again = dataset.New(1, dataset.Classic()) })
	wg.Go(func() { other = dataset.New(2, dataset.Classic()) })
	wg.Wait()
	t.Logf("two datasets in %v", time.Since(start))

	if !bytes.Equal(seed1JSON(), dumpJSON(again)) {
		// Name the first differing entity to make a failure actionable.
		for aid := int64(1); aid <= numArchives; aid++ {
			a, _ := seed1().Archive(aid)
			b, _ := again.Archive(aid)
			if !proto.Equal(a, b) {
				t.Fatalf("aid %d differs between two builds of seed 1:\n%v\n%v", aid, a, b)
			}
		}
		for _, mid := range seed1().Mids() {
			a, _ := seed1().Profile(mid)
			b, _ := again.Profile(mid)
			if !proto.Equal(a, b) {
				t.Fatalf("mid %d differs between two builds of seed 1:\n%v\n%v", mid, a, b)
			}
		}
		t.Fatal("two builds of seed 1 differ (in stats, counts or derived data)")
	}
	same := 0
	for id := int64(1); id <= 1000; id++ {
		a1, _ := seed1().Archive(id)
		a2, _ := other.Archive(id)
		p1, _ := seed1().Profile(id)
		p2, _ := other.Profile(id)
		if proto.Equal(a1, a2) || proto.Equal(p1, p2) {
			same++
		}
	}
	if same > 0 {
		t.Fatalf("seed 2 repeats %d of seed 1's first 1000 archives or profiles", same)
	}
}

// TestDeterministicAcrossProcesses re-executes this test binary, which has another
// faker init-time seed, map hash seed and clock, and compares its digest.
func TestDeterministicAcrossProcesses(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), digestEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	if got, want := strings.TrimSpace(string(out)), digest(seed1JSON()); got != want {
		t.Fatalf("child process digest %s, in-process %s", got, want)
	}
}

func TestClassicSizes(t *testing.T) {
	if c := dataset.Classic(); c.Archives != numArchives || c.Accounts != numAccounts {
		t.Fatalf("Classic() = %+v: the goldens were recorded on %d archives and %d accounts", c, numArchives, numAccounts)
	}
}

// classicSeed1 is the digest of seed 1's Classic world as the goldens were
// recorded on it: a change to the generator that moves a single byte of it
// would change the golden bodies too.
const classicSeed1 = "8a40afbbcbcf2e3c718d6b9d407c8fb860a69d892a9fe4d15d0e8aaa46bb4157"

func TestClassicUnchanged(t *testing.T) {
	if got := digest(seed1JSON()); got != classicSeed1 {
		t.Fatalf("Classic seed 1 digest %s, want %s: the goldens' world changed", got, classicSeed1)
	}
}

func TestArchives(t *testing.T) {
	d := seed1()
	coverRE := regexp.MustCompile(`^https?://i0\.hdslb\.example/bfs/archive/[0-9a-f]+\.jpg$`)
	var hidden, httpCovers, multibyte, over80 int
	for aid := int64(1); aid <= numArchives; aid++ {
		a, ok := d.Archive(aid)
		if !ok || a.GetAid() != aid {
			t.Fatalf("archive %d: %v %v", aid, a, ok)
		}
		if a.GetState() != 0 {
			hidden++
		}
		if !coverRE.MatchString(a.GetCover()) {
			t.Fatalf("aid %d cover %q", aid, a.GetCover())
		}
		if strings.HasPrefix(a.GetCover(), "http://") {
			httpCovers++
		}
		if n := utf8.RuneCountInString(a.GetDesc()); n < 100 || n > 400 {
			t.Fatalf("aid %d desc has %d runes", aid, n)
		} else if n > 80 {
			over80++
		}
		if len(a.GetDesc()) != utf8.RuneCountInString(a.GetDesc()) {
			multibyte++
		}
		if n := utf8.RuneCountInString(a.GetTitle()); n == 0 || n > 80 { // 80 is the real title limit
			t.Fatalf("aid %d title %q", aid, a.GetTitle())
		}
		if a.GetDurationS() < 10 || a.GetDurationS() > 7200 {
			t.Fatalf("aid %d duration %d", aid, a.GetDurationS())
		}
		if p := time.Unix(a.GetPubdate(), 0).UTC(); p.Year() < 2024 || p.Year() > 2026 {
			t.Fatalf("aid %d pubdate %v", aid, p)
		}
		if a.GetOwnerMid() < 1 || a.GetOwnerMid() > numAccounts {
			t.Fatalf("aid %d owner %d", aid, a.GetOwnerMid())
		}
		if n := len(a.GetTags()); n < 1 || n > 4 || slices.Contains(a.GetTags(), "") {
			t.Fatalf("aid %d tags %q", aid, a.GetTags())
		}
	}
	pct := func(n int) int { return n * 100 / numArchives }
	t.Logf("hidden %d%%, http covers %d%%, multibyte desc %d%%", pct(hidden), pct(httpCovers), pct(multibyte))
	if hidden < 200 || hidden > 400 {
		t.Errorf("hidden archives: %d of %d, want about 3%%", hidden, numArchives)
	}
	if p := pct(httpCovers); p < 15 || p > 25 {
		t.Errorf("http covers: %d%%, want about 20%%", p)
	}
	if multibyte == 0 || over80 == 0 {
		t.Errorf("descs: %d multibyte, %d over 80 runes", multibyte, over80)
	}
	if _, ok := d.Archive(0); ok {
		t.Error("aid 0 exists")
	}
	if _, ok := d.Archive(numArchives + 1); ok {
		t.Error("aid beyond the dataset exists")
	}
}

func TestHiddenAids(t *testing.T) {
	d := seed1()
	hidden, visible := d.HiddenAids(), d.VisibleAids()
	if len(hidden)+len(visible) != numArchives || len(hidden) == 0 {
		t.Fatalf("%d hidden + %d visible", len(hidden), len(visible))
	}
	for _, aid := range hidden {
		if a, ok := d.Archive(aid); !ok || a.GetState() == 0 {
			t.Fatalf("hidden aid %d: %v %v", aid, a, ok)
		}
	}
	for _, aid := range visible[:100] {
		if a, _ := d.Archive(aid); a.GetState() != 0 {
			t.Fatalf("visible aid %d has state %d", aid, a.GetState())
		}
	}
}

func TestProfiles(t *testing.T) {
	d := seed1()
	faceRE := regexp.MustCompile(`^https?://i0\.hdslb\.example/bfs/face/[0-9a-f]+\.jpg$`)
	var officials, vips int
	mids := d.Mids()
	if len(mids) != numAccounts {
		t.Fatalf("%d mids", len(mids))
	}
	for _, mid := range mids {
		p, ok := d.Profile(mid)
		if !ok || p.GetMid() != mid || p.GetName() == "" || !faceRE.MatchString(p.GetFace()) {
			t.Fatalf("profile %d: %v", mid, p)
		}
		if !strings.Contains(p.GetEmail(), "@") || p.GetPhone() == "" {
			t.Fatalf("mid %d private fields: %q %q", mid, p.GetEmail(), p.GetPhone())
		}
		if _, err := time.Parse(time.DateOnly, p.GetBirthday()); err != nil {
			t.Fatalf("mid %d birthday: %v", mid, err)
		}
		if p.GetLevel() < 0 || p.GetLevel() > 6 {
			t.Fatalf("mid %d level %d", mid, p.GetLevel())
		}
		if p.GetOfficialTitle() != "" {
			officials++
		}
		if p.GetVip() {
			vips++
		}
	}
	if officials == 0 || officials > len(mids)/5 || vips == 0 {
		t.Errorf("%d official titles, %d vips of %d", officials, vips, len(mids))
	}
	if _, ok := d.Profile(0); ok {
		t.Error("mid 0 exists")
	}
}

// TestStatSpread checks that every display unit occurs: plain, K, 万, M, 亿.
func TestStatSpread(t *testing.T) {
	d := seed1()
	bounds := []int64{1_000, 10_000, 1_000_000, 100_000_000}
	buckets := make([]int, len(bounds)+1)
	for aid := int64(1); aid <= numArchives; aid++ {
		s, ok := d.Stat(aid)
		if !ok {
			t.Fatalf("no stat for %d", aid)
		}
		if s.GetLike() > s.GetView() || s.GetDanmaku() > s.GetView() || s.GetView() > 600_000_000 {
			t.Fatalf("aid %d: %v", aid, s)
		}
		i, _ := slices.BinarySearch(bounds, s.GetView()+1)
		buckets[i]++
	}
	t.Logf("views by bucket %v: %v", bounds, buckets)
	for i, n := range buckets {
		if n < numArchives/100 {
			t.Errorf("bucket %d has only %d archives", i, n)
		}
	}
	var big, small int
	for _, mid := range d.Mids() {
		c, _ := d.FollowerCount(mid)
		if c.GetFollower() >= 10_000_000 {
			big++
		}
		if c.GetFollower() < 100 {
			small++
		}
	}
	if big == 0 || small == 0 {
		t.Errorf("followers: %d over 1e7, %d under 100", big, small)
	}
}

func TestRelation(t *testing.T) {
	d := seed1()
	var following, followedBy int
	for viewer := int64(1); viewer <= 50; viewer++ {
		for target := int64(1); target <= 50; target++ {
			r := d.Relation(viewer, target)
			if !proto.Equal(r, d.Relation(viewer, target)) {
				t.Fatal("relation not stable")
			}
			if viewer == target && (r.GetFollowing() || r.GetFollowedBy()) {
				t.Fatalf("%d relates to itself: %v", viewer, r)
			}
			if r.GetFollowing() {
				following++
			}
			if r.GetFollowedBy() {
				followedBy++
			}
		}
		if r := d.Relation(0, viewer); r.GetFollowing() || r.GetFollowedBy() {
			t.Fatalf("anonymous viewer relates to %d: %v", viewer, r)
		}
	}
	if following == 0 || following == 2500 || followedBy == 0 {
		t.Errorf("%d following, %d followed by, of 2500", following, followedBy)
	}
}

func TestRecommend(t *testing.T) {
	d := seed1()
	var items, hidden, pagesWithRepeatOwner, pages int
	for viewer := int64(0); viewer < 100; viewer++ {
		var prev []int64
		for page := 1; page <= 3; page++ {
			got := d.Recommend(viewer, "app", page, 20)
			if len(got) != 20 {
				t.Fatalf("viewer %d page %d: %d items", viewer, page, len(got))
			}
			aids := make([]int64, len(got))
			owners := map[int64]bool{}
			repeat := false
			for i, it := range got {
				a, ok := d.Archive(it.GetAid())
				if !ok || it.GetReason() == "" {
					t.Fatalf("item %v", it)
				}
				if a.GetState() != 0 {
					hidden++
				}
				repeat = repeat || owners[a.GetOwnerMid()]
				owners[a.GetOwnerMid()] = true
				aids[i] = it.GetAid()
			}
			if len(slices.Compact(slices.Sorted(slices.Values(aids)))) != len(aids) {
				t.Fatalf("viewer %d page %d repeats an aid: %v", viewer, page, aids)
			}
			if slices.Equal(aids, prev) {
				t.Fatalf("viewer %d: page %d repeats the previous page", viewer, page)
			}
			prev = aids
			items += len(got)
			pages++
			if repeat {
				pagesWithRepeatOwner++
			}
		}
	}
	t.Logf("hidden %d of %d items; %d of %d pages repeat an owner", hidden, items, pagesWithRepeatOwner, pages)
	if hidden < items/50 || hidden > items/10 {
		t.Errorf("hidden items %d of %d, want about 1 in 20", hidden, items)
	}
	if pagesWithRepeatOwner == 0 || pagesWithRepeatOwner == pages {
		t.Errorf("%d of %d pages repeat an owner", pagesWithRepeatOwner, pages)
	}
	if a, b := d.Recommend(7, "app", 1, 20), d.Recommend(7, "app", 1, 20); !slices.EqualFunc(a, b, func(x, y *feedv1.Item) bool { return proto.Equal(x, y) }) {
		t.Error("Recommend not deterministic")
	}
	if a, b := d.Recommend(7, "app", 1, 20), d.Recommend(7, "web", 1, 20); slices.EqualFunc(a, b, func(x, y *feedv1.Item) bool { return proto.Equal(x, y) }) {
		t.Error("devices get the same feed")
	}
	if n := len(d.Recommend(7, "web", 1, 500)); n != contract.MaxBatch {
		t.Errorf("ps 500 gave %d items", n)
	}
	if d.Recommend(7, "web", 0, 10) != nil || d.Recommend(7, "web", 1, 0) != nil {
		t.Error("page or ps 0 gave items")
	}
}

func TestRelated(t *testing.T) {
	d := seed1()
	hidden := 0
	for aid := int64(1); aid <= 500; aid++ {
		got := d.Related(aid, 20)
		if len(got) != 20 || slices.Contains(got, aid) {
			t.Fatalf("Related(%d): %v", aid, got)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(got)))) != 20 {
			t.Fatalf("Related(%d) repeats: %v", aid, got)
		}
		for _, r := range got {
			if a, _ := d.Archive(r); a.GetState() != 0 {
				hidden++
			}
		}
		if !slices.Equal(got[:5], d.Related(aid, 5)) {
			t.Fatalf("Related(%d, 5) is not a prefix of Related(%d, 20)", aid, aid)
		}
	}
	if hidden == 0 {
		t.Error("no hidden related archive")
	}
	if n := len(d.Related(1, 100)); n != contract.MaxBatch {
		t.Errorf("n 100 gave %d", n)
	}
	if d.Related(0, 5) != nil || d.Related(numArchives+1, 5) != nil {
		t.Error("unknown aid has related archives")
	}
}

func TestListByOwner(t *testing.T) {
	d := seed1()
	owned := make(map[int64][]int64)
	for aid := int64(1); aid <= numArchives; aid++ {
		a, _ := d.Archive(aid)
		owned[a.GetOwnerMid()] = append(owned[a.GetOwnerMid()], aid)
	}
	var empty, paged, withHidden int
	for _, mid := range d.Mids() {
		var all []int64
		for page := 1; ; page++ {
			aids, total := d.ListByOwner(mid, page, 7)
			if total != int64(len(owned[mid])) {
				t.Fatalf("mid %d total %d, owns %d", mid, total, len(owned[mid]))
			}
			if len(aids) == 0 {
				break
			}
			all = append(all, aids...)
		}
		if !slices.Equal(slices.Sorted(slices.Values(all)), owned[mid]) {
			t.Fatalf("mid %d pages %v, owns %v", mid, all, owned[mid])
		}
		for i := 1; i < len(all); i++ {
			a, _ := d.Archive(all[i-1])
			b, _ := d.Archive(all[i])
			if a.GetPubdate() < b.GetPubdate() {
				t.Fatalf("mid %d not newest first: %v", mid, all)
			}
		}
		for _, aid := range all {
			if a, _ := d.Archive(aid); a.GetState() != 0 {
				withHidden++
				break
			}
		}
		switch {
		case len(all) == 0:
			empty++
		case len(all) > contract.MaxBatch:
			paged++
		}
	}
	if empty == 0 || paged == 0 || withHidden == 0 {
		t.Errorf("%d owners without archives, %d with more than a page, %d with hidden ones", empty, paged, withHidden)
	}
	if aids, _ := d.ListByOwner(1, 1, 500); len(aids) != contract.MaxBatch {
		t.Errorf("ps 500 gave %d", len(aids))
	}
	if aids, total := d.ListByOwner(0, 1, 10); aids != nil || total != 0 {
		t.Error("unknown mid has archives")
	}
}

func TestHotReplies(t *testing.T) {
	d := seed1()
	var none, some int
	for aid := int64(1); aid <= 500; aid++ {
		a, _ := d.Archive(aid)
		st, _ := d.Stat(aid)
		if all := d.HotReplies(aid, contract.MaxBatch); int64(len(all)) > st.GetReply() {
			t.Fatalf("aid %d: %d hot replies, but its reply count is %d", aid, len(all), st.GetReply())
		}
		got := d.HotReplies(aid, 10)
		if len(got) > 10 {
			t.Fatalf("aid %d: %d replies", aid, len(got))
		}
		if len(got) == 0 {
			none++
			continue
		}
		some++
		for i, r := range got {
			if r.GetMid() < 1 || r.GetMid() > numAccounts || r.GetMessage() == "" || r.GetCtime() < a.GetPubdate() {
				t.Fatalf("aid %d reply %v", aid, r)
			}
			if r.GetLike() > st.GetLike() {
				t.Fatalf("aid %d: a reply liked %d times under a video liked %d times", aid, r.GetLike(), st.GetLike())
			}
			if i > 0 && got[i-1].GetLike() < r.GetLike() {
				t.Fatalf("aid %d replies not hottest first", aid)
			}
		}
		again := d.HotReplies(aid, 3)
		if !slices.EqualFunc(again, got[:len(again)], func(x, y *replyv1.Reply) bool { return proto.Equal(x, y) }) {
			t.Fatalf("aid %d: HotReplies(3) is not a prefix of HotReplies(10)", aid)
		}
	}
	if none == 0 || some == 0 {
		t.Errorf("%d archives without replies, %d with", none, some)
	}
	if d.HotReplies(0, 5) != nil {
		t.Error("unknown aid has replies")
	}
}

// TestCopies checks that callers cannot write into the dataset.
func TestCopies(t *testing.T) {
	d := seed1()
	a, _ := d.Archive(1)
	a.Title, a.Tags[0] = "changed", "changed"
	p, _ := d.Profile(1)
	p.Email = "changed"
	s, _ := d.Stat(1)
	s.View = -1
	d.VisibleAids()[0] = -1
	aids, _ := d.ListByOwner(1, 1, 10)
	aids[0] = -1

	a2, _ := d.Archive(1)
	p2, _ := d.Profile(1)
	s2, _ := d.Stat(1)
	aids2, _ := d.ListByOwner(1, 1, 10)
	if a2.GetTitle() == "changed" || a2.GetTags()[0] == "changed" || p2.GetEmail() == "changed" ||
		s2.GetView() == -1 || d.VisibleAids()[0] == -1 || aids2[0] == -1 {
		t.Fatal("a caller's write reached the dataset")
	}
}

func TestDiscussedAid(t *testing.T) {
	d := seed1()
	aid, ok := d.DiscussedAid(3)
	if !ok || len(d.HotReplies(aid, 3)) != 3 || !slices.Contains(d.VisibleAids(), aid) {
		t.Fatalf("DiscussedAid(3) = %d, %v: want a visible video with three hot replies", aid, ok)
	}
	for _, a := range d.VisibleAids() {
		if a == aid {
			break
		}
		if len(d.HotReplies(a, 3)) == 3 {
			t.Fatalf("aid %d has three hot replies and comes before %d", a, aid)
		}
	}
	if _, ok := d.DiscussedAid(contract.MaxBatch + 1); ok {
		t.Error("a video with more hot replies than a batch may hold")
	}
}
