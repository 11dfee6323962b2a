package problem_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"mosaic/bff/problem"
)

func TestClip(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"ps", "ps"},
		{strings.Repeat("x", 64), strings.Repeat("x", 64)},
		{strings.Repeat("x", 65), strings.Repeat("x", 64) + "…"},
		// 21 three-byte runes are 63 bytes; the 22nd would end at 66.
		{strings.Repeat("万", 30), strings.Repeat("万", 21) + "…"},
		{"x" + strings.Repeat("万", 30), "x" + strings.Repeat("万", 21) + "…"},
	} {
		got := problem.Clip(tc.in)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("Clip(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
