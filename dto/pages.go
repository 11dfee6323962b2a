package dto

// Paging echoes the page a list body holds and its page size, as the
// request gave them or as they defaulted, the same on every paged body.
type Paging struct {
	Page     int `json:"page"`
	PageSize int `json:"ps"`
}

// Feed is the body of GET /{device}/v1/feed. HasMore says a next page
// exists: Cards may hold fewer than ps even so (hidden archives are
// dropped), so a client pages on it, not on len(Cards).
type Feed[C any] struct {
	Paging
	Cards    []C        `json:"cards"`
	HasMore  bool       `json:"has_more"`
	Degraded []Degraded `json:"degraded,omitempty"`
}

// Video is the body of GET /{device}/v1/videos/{aid}: the video as its
// device's card, its related videos and hot replies.
type Video[C, R any] struct {
	Video    C          `json:"video"`
	Related  []C        `json:"related"`
	Replies  []R        `json:"replies"`
	Degraded []Degraded `json:"degraded,omitempty"`
}

// User is the body of GET /{device}/v1/users/{mid}: the user and one page of
// their uploads; HasMore says uploads exist past it (see Feed).
type User[U, C any] struct {
	User U `json:"user"`
	Paging
	Total    int64      `json:"total"`
	Archives []C        `json:"archives"`
	HasMore  bool       `json:"has_more"`
	Degraded []Degraded `json:"degraded,omitempty"`
}

// Member is a reply's author. Name and face are absent when profiles are
// degraded, face also when the profile's is no URL a client can load safely.
type Member struct {
	Mid  int64  `json:"mid"`
	Name string `json:"name,omitempty"`
	Face URL    `json:"face,omitzero"`
}

// Relation is how the viewer and a user follow each other.
type Relation struct {
	Following  bool `json:"following"`
	FollowedBy bool `json:"followed_by"`
}

// NativeReply is a hot reply as the app and the pad show it.
type NativeReply struct {
	Rpid    int64  `json:"rpid"`
	Message string `json:"message"`
	Like    Count  `json:"like"`
	Ctime   int64  `json:"ctime"`
	Member  Member `json:"member"`
}

// WebReply is a hot reply for the web.
type WebReply struct {
	Rpid    int64  `json:"rpid"`
	Message string `json:"message"`
	Like    int64  `json:"like"`
	Ctime   string `json:"ctime"`
	Member  Member `json:"member"`
}

// MiniReply is a hot reply for the mini-program: text, author, likes.
type MiniReply struct {
	Rpid       int64  `json:"rpid"`
	Message    string `json:"message"`
	MemberName string `json:"member_name,omitempty"`
	Like       string `json:"like"`
}

// UserInfo is a user's header for the app, the pad and the web; C is how
// follow counts look on the device.
type UserInfo[C any] struct {
	Mid           int64     `json:"mid"`
	Name          string    `json:"name"`
	Face          URL       `json:"face"`
	Sign          string    `json:"sign"`
	Level         int32     `json:"level"`
	Vip           bool      `json:"vip"`
	OfficialTitle string    `json:"official_title"`
	Counts        *C        `json:"counts,omitempty"`
	Relation      *Relation `json:"relation,omitempty"`
}

// NativeUser is the app's and the pad's user header.
type NativeUser = UserInfo[NativeCounts]

// WebUser is the web's user header.
type WebUser = UserInfo[WebCounts]

// NativeCounts are follow counts with display strings.
type NativeCounts struct {
	Follower  Count `json:"follower"`
	Following Count `json:"following"`
}

// WebCounts are follow counts as plain numbers.
type WebCounts struct {
	Follower  int64 `json:"follower"`
	Following int64 `json:"following"`
}

// MiniUser is the mini-program's user header.
type MiniUser struct {
	Mid       int64  `json:"mid"`
	Name      string `json:"name"`
	Face      URL    `json:"face"`
	Follower  string `json:"follower,omitempty"`
	Following *bool  `json:"following,omitempty"`
}
