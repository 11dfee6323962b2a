package dataset_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	"mosaic/clients/contract"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/internal/leaktest"
	"mosaic/mocks/dataset"
)

// digestEnv makes the test binary print the digest of a seed's dataset and exit, so
// a test can compare digests across processes.
const digestEnv = "MOSAIC_MOCKS_DIGEST_SEED"

func TestMain(m *testing.M) {
	if s := os.Getenv(digestEnv); s != "" {
		seed, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(digest(dumpJSON(dataset.New(seed, dataset.Classic()))))
		os.Exit(0)
	}
	leaktest.Main(m)
}

// The Classic sizes, which the goldens were recorded on (TestClassicSizes).
const numArchives, numAccounts = 10000, 2000

// seed1 is shared by the read-only tests: building a dataset is the slow part.
var seed1 = sync.OnceValue(func() *dataset.Dataset { return dataset.New(1, dataset.Classic()) })

// dump is everything a Dataset answers, stored or derived, over a sample of keys
// wide enough to cover every generator.
type dump struct {
	Archives  []*archivev1.Archive
	Stats     []*statv1.Stat
	Profiles  []*accountv1.Profile
	Counts    []*relationv1.FollowerCount
	Relations []*relationv1.Relation
	Replies   [][]*replyv1.Reply
	Related   [][]int64
	Recommend [][]*feedv1.Item
	Owners    [][]int64
	Totals    []int64
}

func dumpOf(d *dataset.Dataset) *dump {
	var out dump
	for aid := int64(1); aid <= numArchives; aid++ {
		a, _ := d.Archive(aid)
		s, _ := d.Stat(aid)
		out.Archives, out.Stats = append(out.Archives, a), append(out.Stats, s)
	}
	for _, mid := range d.Mids() {
		p, _ := d.Profile(mid)
		c, _ := d.FollowerCount(mid)
		out.Profiles, out.Counts = append(out.Profiles, p), append(out.Counts, c)
		aids, total := d.ListByOwner(mid, 1, contract.MaxBatch)
		out.Owners, out.Totals = append(out.Owners, aids), append(out.Totals, total)
	}
	for viewer := int64(0); viewer < 20; viewer++ {
		for target := int64(1); target <= 50; target++ {
			out.Relations = append(out.Relations, d.Relation(viewer, target))
		}
		for _, device := range []string{"app", "mini"} {
			for page := 1; page <= 3; page++ {
				out.Recommend = append(out.Recommend, d.Recommend(viewer, device, page, 20))
			}
		}
	}
	for aid := int64(1); aid <= 300; aid++ {
		out.Replies = append(out.Replies, d.HotReplies(aid, contract.MaxBatch))
		out.Related = append(out.Related, d.Related(aid, contract.MaxBatch))
	}
	return &out
}

// dumpJSON is the JSON of the dump. encoding/json sorts map keys and skips the
// generated messages' unexported internals, so equal data gives equal bytes.
func dumpJSON(d *dataset.Dataset) []byte {
	b, err := json.Marshal(dumpOf(d))
	if err != nil {
		panic(err)
	}
	return b
}

// seed1JSON is cached: dumping is as slow as building, more so under -race.
var seed1JSON = sync.OnceValue(func() []byte { return dumpJSON(seed1()) })

func digest(dumpJSON []byte) string {
	sum := sha256.Sum256(dumpJSON)
	return hex.EncodeToString(sum[:])
}
