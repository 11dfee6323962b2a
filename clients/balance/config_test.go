package balance

import (
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"cluster":"c1","decay":"2s","unmeasured":"5ms","errorPenalty":"1s"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster != "c1" || c.Decay != 2*time.Second || c.Unmeasured != 5*time.Millisecond || c.ErrorPenalty != time.Second {
		t.Errorf("parsed %+v", c)
	}
	d, err := ParseConfig([]byte(`{}`))
	if err != nil || d.Cluster != "" || d.Decay != DefaultDecay || d.Unmeasured != DefaultUnmeasured || d.ErrorPenalty != DefaultErrorPenalty {
		t.Errorf("defaults: %+v, %v", d, err)
	}
	for _, bad := range []string{`{"decay":"soon"}`, `{"decay":"-1s"}`, `{"unmeasured":"0s"}`, `{"cluster":1}`, `[`} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("ParseConfig(%s) accepted", bad)
		}
	}
}
