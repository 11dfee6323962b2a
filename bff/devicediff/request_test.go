package devicediff_test

import (
	"net/http"
	"testing"

	"mosaic/bff/devicediff"
)

func TestDescribeListsTheComparedHeadersInOrder(t *testing.T) {
	for _, tc := range []struct {
		set  map[string]string
		want string
	}{
		{nil, ""},
		{map[string]string{"X-Network": "2g", "X-User-Id": "42"}, "X-User-Id: 42, X-Network: 2g"},
		{map[string]string{"X-Client-Build": "7999999", "Accept-Language": "zh-CN", "Cookie": "a=b"}, "Accept-Language: zh-CN, X-Client-Build: 7999999"},
	} {
		h := http.Header{}
		for k, v := range tc.set {
			h.Set(k, v)
		}
		if got := devicediff.Describe(h); got != tc.want {
			t.Errorf("Describe(%v) = %q, want %q", tc.set, got, tc.want)
		}
	}
}
