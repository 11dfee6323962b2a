package request

import "testing"

func TestChineseIsTheMostPreferredZhTag(t *testing.T) {
	for _, tt := range []struct {
		fields []string
		want   bool
	}{
		{nil, false},
		{[]string{"zh"}, true},
		{[]string{"ZH-cn"}, true},
		{[]string{"zh_CN"}, true},
		{[]string{"zh-Hant-TW"}, true},
		{[]string{"zh-cmn-Hans"}, true}, // x/text made this "cmn"
		{[]string{"zh-yue"}, true},
		{[]string{"zhx"}, false},
		{[]string{"en;q=0.5, zh-TW"}, true},
		{[]string{"en-US,zh;q=0.1"}, false},
		{[]string{"en-US", "zh;q=0.1"}, false},
		{[]string{"en;q=0.1", "zh"}, true},  // repeated fields are one list
		{[]string{"zh-CN, en;q=abc"}, true}, // x/text refused the whole list
		{[]string{"zh-CN;q=abc"}, false},
		{[]string{"zh;q=0, en"}, false},
		{[]string{"zh;q=0"}, false},
		{[]string{"*, zh;q=0.9"}, true},
		{[]string{"en, zh"}, false}, // a tie goes to the first
		{[]string{"zh;q=1.5"}, false},
		{[]string{"this is not;q=a language"}, false},
		{[]string{",,;, ;q=1"}, false},
		{[]string{"z"}, false},
		{[]string{"en;q=NaN, zh;q=0"}, false},       // NaN is no weight
		{[]string{"en, fr;q=nan, zh;q=0.1"}, false}, // and does not make every later element win
	} {
		if got := chinese(tt.fields); got != tt.want {
			t.Errorf("chinese(%q) = %v, want %v", tt.fields, got, tt.want)
		}
	}
}
