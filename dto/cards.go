package dto

// Head is what every card starts with, on every device: which video, and
// its title.
type Head struct {
	Aid   int64  `json:"aid"`
	Title string `json:"title"`
}

// AppCard is a feed card for app builds >= 8000000.
type AppCard struct {
	Head
	NativeCard
	Stats *AppStats `json:"stats,omitempty"`
}

// NativeCard is what the app's and the pad's cards show between their
// title (and the pad's desc) and their counters, in this order.
type NativeCard struct {
	Cover    URL    `json:"cover"`
	Duration int64  `json:"duration"`
	Pubdate  int64  `json:"pubdate"`
	Reason   string `json:"reason,omitempty"`
	Owner    Owner  `json:"owner"`
}

// AppStats are the counters an app card shows.
type AppStats struct {
	View    Count `json:"view"`
	Danmaku Count `json:"danmaku"`
}

// AppLegacyCard is the flat card that app builds below 8000000 parse.
type AppLegacyCard struct {
	Head
	Cover     URL    `json:"cover"`
	Duration  int64  `json:"duration"`
	Pubdate   int64  `json:"pubdate"`
	Reason    string `json:"reason,omitempty"`
	OwnerName string `json:"owner_name"`
	OwnerFace URL    `json:"owner_face"`
	Play      int64  `json:"play"`
	PlayText  string `json:"play_text"`
}

// PadCard is a feed card for the pad app.
type PadCard struct {
	Head
	Desc string `json:"desc"`
	NativeCard
	Stats *PadStats `json:"stats,omitempty"`
}

// PadStats are the counters a pad card shows.
type PadStats struct {
	View    Count `json:"view"`
	Danmaku Count `json:"danmaku"`
	Like    Count `json:"like"`
}

// WebCard is a feed card for the web: every field, plain numbers, RFC 3339.
type WebCard struct {
	Head
	Desc     string    `json:"desc"`
	Cover    URL       `json:"cover"`
	Duration int64     `json:"duration"`
	Pubdate  string    `json:"pubdate"`
	Tags     []string  `json:"tags"`
	Reason   string    `json:"reason,omitempty"`
	Owner    Owner     `json:"owner"`
	Stats    *WebStats `json:"stats,omitempty"`
}

// WebStats are all seven counters.
type WebStats struct {
	View     int64 `json:"view"`
	Danmaku  int64 `json:"danmaku"`
	Reply    int64 `json:"reply"`
	Favorite int64 `json:"favorite"`
	Coin     int64 `json:"coin"`
	Share    int64 `json:"share"`
	Like     int64 `json:"like"`
}

// MiniCard is the smallest card: no desc, no times, one display count.
type MiniCard struct {
	Head
	Cover     URL    `json:"cover"`
	Duration  int64  `json:"duration"`
	OwnerName string `json:"owner_name,omitempty"`
	View      string `json:"view,omitempty"`
}
