package dto

// AppCard is a feed card for app builds >= 8000000.
type AppCard struct {
	Aid      int64     `json:"aid"`
	Title    string    `json:"title"`
	Cover    URL       `json:"cover"`
	Duration int64     `json:"duration"`
	Pubdate  int64     `json:"pubdate"`
	Reason   string    `json:"reason,omitempty"`
	Owner    Owner     `json:"owner"`
	Stats    *AppStats `json:"stats,omitempty"`
}

// AppStats are the counters an app card shows.
type AppStats struct {
	View    Count `json:"view"`
	Danmaku Count `json:"danmaku"`
}

// AppLegacyCard is the flat card that app builds below 8000000 parse.
type AppLegacyCard struct {
	Aid       int64  `json:"aid"`
	Title     string `json:"title"`
	Cover     URL    `json:"cover"`
	Duration  int64  `json:"duration"`
	Pubdate   int64  `json:"pubdate"`
	OwnerName string `json:"owner_name"`
	OwnerFace URL    `json:"owner_face"`
	Play      int64  `json:"play"`
	PlayText  string `json:"play_text"`
}

// PadCard is a feed card for the pad app.
type PadCard struct {
	Aid      int64     `json:"aid"`
	Title    string    `json:"title"`
	Desc     string    `json:"desc"`
	Cover    URL       `json:"cover"`
	Duration int64     `json:"duration"`
	Pubdate  int64     `json:"pubdate"`
	Reason   string    `json:"reason,omitempty"`
	Owner    Owner     `json:"owner"`
	Stats    *PadStats `json:"stats,omitempty"`
}

// PadStats are the counters a pad card shows.
type PadStats struct {
	View    Count `json:"view"`
	Danmaku Count `json:"danmaku"`
	Like    Count `json:"like"`
}

// WebCard is a feed card for the web: every field, plain numbers, RFC 3339.
type WebCard struct {
	Aid      int64     `json:"aid"`
	Title    string    `json:"title"`
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
	Aid       int64  `json:"aid"`
	Title     string `json:"title"`
	Cover     URL    `json:"cover"`
	Duration  int64  `json:"duration"`
	OwnerName string `json:"owner_name,omitempty"`
	View      string `json:"view,omitempty"`
}
