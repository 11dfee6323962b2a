package request

import (
	"testing"

	"mosaic/bff/device"
)

func TestDisplayLangFollowsTheMostPreferredTag(t *testing.T) {
	const en, zh, hant = device.English, device.Chinese, device.TraditionalChinese
	for _, tt := range []struct {
		fields []string
		want   device.Lang
	}{
		{nil, en},
		{[]string{"zh"}, zh},
		{[]string{"ZH-cn"}, zh},
		{[]string{"zh_CN"}, zh},
		{[]string{"zh-Hant-TW"}, hant},
		{[]string{"zh-cmn-Hans"}, zh}, // x/text made this "cmn"
		{[]string{"zh-yue"}, hant},    // Cantonese, written traditional unless it says Hans
		{[]string{"zh-yue-Hans"}, zh},
		{[]string{"zhx"}, en},
		{[]string{"zh-TW"}, hant},
		{[]string{"zh_hk"}, hant},
		{[]string{"zh-MO"}, hant},
		{[]string{"zh-Hant"}, hant},
		{[]string{"ZH-HANT-cn"}, hant}, // the script wins over the region
		{[]string{"zh-Hans-HK"}, zh},
		{[]string{"zh-cmn-Hant-SG"}, hant},
		{[]string{"zh-SG"}, zh},
		{[]string{"zh-"}, zh},
		{[]string{"zh-Hant;q=0.4, zh-CN;q=0.5"}, zh},
		{[]string{"en;q=0.5, zh-TW"}, hant},
		{[]string{"en-US,zh;q=0.1"}, en},
		{[]string{"en-US", "zh;q=0.1"}, en},
		{[]string{"en;q=0.1", "zh"}, zh},  // repeated fields are one list
		{[]string{"zh-CN, en;q=abc"}, zh}, // x/text refused the whole list
		{[]string{"zh-CN;q=abc"}, en},
		{[]string{"zh;q=0, en"}, en},
		{[]string{"zh;q=0"}, en},
		{[]string{"*, zh;q=0.9"}, zh},
		{[]string{"en, zh"}, en}, // a tie goes to the first
		{[]string{"zh;q=1.5"}, en},
		{[]string{"this is not;q=a language"}, en},
		{[]string{",,;, ;q=1"}, en},
		{[]string{"z"}, en},
		{[]string{"en;q=NaN, zh;q=0"}, en},       // NaN is no weight
		{[]string{"en, fr;q=nan, zh;q=0.1"}, en}, // and does not make every later element win
	} {
		if got := displayLang(tt.fields); got != tt.want {
			t.Errorf("displayLang(%q) = %v, want %v", tt.fields, got, tt.want)
		}
	}
}
