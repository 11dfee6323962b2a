package dataset

import (
	"math/rand/v2"
	"strings"

	"github.com/bxcodec/faker/v3"
)

// streamFake is the PCG stream of Fake's own draws, apart from faker's.
const streamFake = 0x66616b65 // "fake"

// Faker hands out faker values drawn from one seeded source. It is valid
// only inside the callback of Fake, which holds the lock on faker's global
// state; keeping one past it would race with every other faker user.
type Faker struct{ rng *rand.Rand }

// Fake runs fn with faker's global source seeded from seed, under the lock
// that guards it, so the same seed gives the same values whatever else the
// process does with faker. Keep fn short: every faker user waits on it.
func Fake(seed uint64, fn func(Faker)) {
	withFaker(seed, func() { fn(Faker{rng: rand.New(rand.NewPCG(seed, streamFake))}) })
}

// Name is a person's display name, as the mock accounts have (Chinese,
// Western, handle-like).
func (Faker) Name() string { return fakeName() }

// Email is an address at a random domain.
func (Faker) Email() string { return faker.Email() }

// Phone is a phone number.
func (Faker) Phone() string { return faker.Phonenumber() }

// Word is one lorem word.
func (Faker) Word() string { return faker.Word() }

// Sentence is 4-10 lorem words, capitalised, with a full stop.
func (f Faker) Sentence() string { return fakeSentence(f.rng) }

// Title is a short headline: Chinese phrases (so that clients meet
// multi-byte text) or a few capitalised lorem words.
func (f Faker) Title() string {
	if f.rng.IntN(5) < 2 {
		zh := strings.Fields(zhText)
		return zh[f.rng.IntN(len(zh))] + " " + zh[f.rng.IntN(len(zh))]
	}
	return capitalize(strings.Join(fakeWords(2+f.rng.IntN(4)), " "))
}
