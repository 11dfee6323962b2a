package assemble

import "testing"

// has_more reads the service's count: a page that ends where the uploads
// end has no next.
func TestMoreReadsTheCount(t *testing.T) {
	for _, c := range []struct {
		page, ps int
		total    int64
		want     bool
	}{
		{1, 10, 0, false},
		{1, 10, 9, false},
		{1, 10, 10, false},
		{1, 10, 11, true},
		{10, 10, 110, true},
		{11, 10, 110, false},
		{12, 10, 110, false},
		{10000, 50, 1 << 40, true}, // no overflow of page·ps
	} {
		if got := more(c.page, c.ps, c.total); got != c.want {
			t.Errorf("more(page %d, ps %d, total %d) = %v, want %v", c.page, c.ps, c.total, got, c.want)
		}
	}
}
