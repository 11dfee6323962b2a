package dataset

import (
	"fmt"
	mathrand "math/rand"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/bxcodec/faker/v3"
)

// fakerMu guards every use of faker v3's package-level state: its random source
// (swapped by SetRandomSource), its provider map (AddProvider) and its unique-value
// cache. faker keeps all of these in globals shared by the whole process, so this is
// the one place in mosaic that allows package-level mutable state.
var fakerMu sync.Mutex

// providersOnce registers our custom faker tags once per process; faker refuses to
// register a tag twice.
var providersOnce sync.Once

// Custom faker tags. faker's own Name draws its gender from a flag fixed at init from
// the wall clock, and all of its date/time tags are bounded by time.Now, so names and
// birthdays go through providers built only on faker's seeded primitives.
const (
	tagName     = "mosaic_name"
	tagBirthday = "mosaic_birthday"
)

// fakeProfile is what faker fills for one account: only the fields faker is good at,
// all of them drawn from the seeded source.
type fakeProfile struct {
	Name     string `faker:"mosaic_name"`
	Email    string `faker:"email"`
	Phone    string `faker:"phone_number"`
	Birthday string `faker:"mosaic_birthday"`
}

// withFaker runs fn with faker's global source seeded from seed, under the
// lock that guards all of faker's global state: every use of faker in
// mosaic goes through it, so the same seed gives the same values whatever
// else the process does with faker. Keep fn short: every faker user waits.
func withFaker(seed uint64, fn func()) {
	fakerMu.Lock()
	defer fakerMu.Unlock()
	registerProviders()
	faker.SetGenerateUniqueValues(false) // its unique cache is global and unbounded
	faker.SetRandomSource(fakerSource{rand.NewPCG(seed, streamFaker)})
	fn()
}

// registerProviders must be called with fakerMu held.
func registerProviders() {
	providersOnce.Do(func() {
		must(faker.AddProvider(tagName, func(reflect.Value) (any, error) { return fakeName(), nil }))
		must(faker.AddProvider(tagBirthday, func(reflect.Value) (any, error) { return fakeBirthday(), nil }))
	})
}

func must(err error) {
	if err != nil {
		panic("dataset: faker: " + err.Error())
	}
}

// fakerIntn draws from faker's (seeded) source. faker exposes no plain Intn, only
// RandomInt, which shuffles the whole range, so keep n small.
func fakerIntn(lo, hi int) int {
	p, err := faker.RandomInt(lo, hi, 1)
	must(err)
	return p[0]
}

func fakeName() string {
	switch fakerIntn(0, 9) {
	case 0, 1, 2, 3:
		return faker.ChineseFirstName() + faker.ChineseLastName()
	case 4, 5, 6:
		return faker.FirstName() + " " + faker.LastName()
	case 7, 8:
		return fmt.Sprintf("%s_%d", faker.FirstName(), fakerIntn(1, 99))
	default:
		return faker.ChineseLastName() + "の" + faker.Word()
	}
}

func fakeBirthday() string {
	year, month := fakerIntn(1965, 2009), fakerIntn(1, 12)
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 {
		days = 29 // no year in range is a century
	}
	return fmt.Sprintf("%04d-%02d-%02d", year, month, fakerIntn(1, days))
}

// fakerSource adapts a math/rand/v2 PCG, whose output is specified and stable across
// Go releases, to the math/rand Source that faker.SetRandomSource wants.
type fakerSource struct{ pcg *rand.PCG }

func (s fakerSource) Int63() int64    { return int64(s.pcg.Uint64() >> 1) }
func (s fakerSource) Uint64() uint64  { return s.pcg.Uint64() }
func (s fakerSource) Seed(seed int64) { s.pcg.Seed(uint64(seed), streamFaker) }

var _ mathrand.Source64 = fakerSource{}

// fakeWords returns n faker lorem words.
func fakeWords(n int) []string {
	w := make([]string, n)
	for i := range w {
		w[i] = faker.Word()
	}
	return w
}

// writeSentence writes 4-10 lorem words, capitalised, with a full stop, and returns
// the runes written. faker's own Sentence is unusable: it always shuffles the same
// six words (it indexes wordList with RandomInt(1, 6)).
func writeSentence(b *strings.Builder, rng *rand.Rand) int {
	start := b.Len()
	for i := range 4 + rng.IntN(7) {
		w := faker.Word()
		if i == 0 {
			w = capitalize(w)
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	b.WriteByte('.')
	return b.Len() - start // lorem words are ASCII
}

func fakeSentence(rng *rand.Rand) string {
	var b strings.Builder
	writeSentence(&b, rng)
	return b.String()
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// zhText holds Chinese (and some emoji) phrases mixed into titles, descriptions and
// replies, so that rune-based truncation in the BFF is exercised. Kept as a constant
// (split when a Dataset is built) to avoid a mutable package-level slice.
const zhText = `今天给大家带来 一期超长合集 建议收藏 三连支持一下 up主熬夜剪的 ` +
	`第一次尝试这个风格 素材来自网络 如有侵权请联系删除 欢迎在评论区讨论 ` +
	`这个视频做了整整一个月 全程高能 前方高能预警 弹幕护体 爷青回 ` +
	`感谢大家的支持🎉 下期见👋 求求了给个关注吧 我真的会谢😂 ` +
	`游戏实况 美食探店 数码测评 旅行日记 音乐翻唱 知识科普 动画混剪 ` +
	`手把手教你 从零开始 十分钟学会 保姆级教程 进阶技巧 避坑指南`

// titlePrefixes decorate Chinese titles the way uploaders do.
const titlePrefixes = `【4K】 【合集】 【教程】 【原创】 【中字】 【实况】 【测评】 【Vlog】`

// zhTags are the Chinese tag vocabulary.
const zhTags = `游戏 音乐 生活 知识 科技 美食 动画 鬼畜 舞蹈 影视 数码 运动 旅行 萌宠`
