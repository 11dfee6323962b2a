package dto_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"mosaic/dto"
)

func TestSafeURL(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"https kept", "https://i0.hdslb.example/bfs/face/1.jpg", "https://i0.hdslb.example/bfs/face/1.jpg"},
		{"http upgraded", "http://i0.hdslb.example/bfs/face/1.jpg", "https://i0.hdslb.example/bfs/face/1.jpg"},
		{"protocol-relative upgraded", "//cdn.example/1.jpg", "https://cdn.example/1.jpg"},
		{"upper-case HTTP upgraded", "HTTP://cdn.example/1.jpg", "https://cdn.example/1.jpg"},
		{"mixed-case HtTpS normalized", "HtTpS://cdn.example/1.jpg", "https://cdn.example/1.jpg"},
		{"query, fragment, port, escapes kept", "https://cdn.example:8443/a%20b.jpg?x=1&y=2#f", "https://cdn.example:8443/a%20b.jpg?x=1&y=2#f"},
		{"IPv6 host kept", "https://[::1]/1.jpg", "https://[::1]/1.jpg"},
		{"CDN suffix after a path kept", "https://cdn.example/1.jpg@640w_360h.webp", "https://cdn.example/1.jpg@640w_360h.webp"},

		{"empty", "", ""},
		{"javascript", "javascript:alert(1)", ""},
		{"javascript mixed case", "JaVaScRiPt:alert(1)", ""},
		{"javascript disguised as a host", "javascript://cdn.example/%0aalert(1)", ""},
		{"data", "data:image/png;base64,iVBORw0KGgo=", ""},
		{"data upper case", "DATA:text/html,<script>alert(1)</script>", ""},
		{"vbscript", "vbscript:msgbox(1)", ""},
		{"file", "file:///etc/passwd", ""},
		{"ftp", "ftp://cdn.example/1.jpg", ""},
		{"mailto", "mailto:a@b.example", ""},
		{"relative path", "/bfs/face/1.jpg", ""},
		{"bare file name", "1.jpg", ""},
		{"scheme without slashes", "https:cdn.example/1.jpg", ""},
		{"one slash", "http:/cdn.example/1.jpg", ""},
		{"no host", "https://", ""},
		{"no host, path", "https:///1.jpg", ""},
		{"protocol-relative without host", "///1.jpg", ""},
		{"userinfo", "https://user:pw@cdn.example/1.jpg", ""},
		{"host disguised as userinfo", "https://cdn.example@evil.example/1.jpg", ""},
		{"suffix on a bare host becomes the host", "https://cdn.example@640w_360h.webp", ""},
		{"bad port", "https://cdn.example:http/1.jpg", ""},
		{"leading space", " https://cdn.example/1.jpg", ""},
		{"leading space before javascript", " javascript:alert(1)", ""},
		{"leading tab before javascript", "\tjavascript:alert(1)", ""},
		{"trailing newline", "https://cdn.example/1.jpg\n", ""},
		{"inner space", "https://cdn.example/a b.jpg", ""},
		{"inner tab", "https://cdn.example/a\tb.jpg", ""},
		{"NUL", "https://cdn.example/1.jpg\x00", ""},
		{"DEL", "https://cdn.example/\x7f.jpg", ""},
		{"C1 control (NEL)", "https://cdn.example/\u0085.jpg", ""},
		{"line separator", "https://cdn.example/\u2028.jpg", ""},
		{"zero-width space", "https://cdn\u200b.example/1.jpg", ""},
		{"right-to-left override", "https://cdn.example/\u202egpj.exe", ""},
		{"non-ASCII host", "https://例子.example/1.jpg", ""},
		{"invalid UTF-8", "https://cdn.example/\xff.jpg", ""},
		{"backslash", "https://cdn.example\\@evil.example/1.jpg", ""},
		{"quote and angle brackets", `https://cdn.example/"><script>alert(1)</script>`, ""},
		{"truncated escape", "https://cdn.example/a%2", ""},
		{"non-hex escape", "https://cdn.example/a%zz.jpg", ""},
		{"escaped control is fine: it stays escaped", "https://cdn.example/a%0a.jpg", "https://cdn.example/a%0a.jpg"},
		{"IPv6 host with port kept", "http://[2001:db8::1]:8080/1.jpg", "https://[2001:db8::1]:8080/1.jpg"},
		{"IPv4 host kept", "http://192.0.2.1/1.jpg", "https://192.0.2.1/1.jpg"},
		{"junk IPv6 host", "https://[::::::]/1.jpg", ""},
		{"IPv4 in brackets", "https://[192.0.2.1]/1.jpg", ""},
		{"IPv6 zone", "https://[fe80::1%25eth0]/1.jpg", ""},
		{"unclosed bracket", "https://[::1/1.jpg", ""},
		{"two colons", "https://cdn.example:80:80/1.jpg", ""},
		{"empty port", "https://cdn.example:/1.jpg", ""},
		{"port too long", "https://cdn.example:123456/1.jpg", ""},
		{"port past 65535", "https://cdn.example:99999/1.jpg", ""},
		{"the last port kept", "https://cdn.example:65535/1.jpg", "https://cdn.example:65535/1.jpg"},
		{"dots for a host", "https://.../1.jpg", ""},
		{"a dash for a host", "https://-/1.jpg", ""},
		{"an empty label", "https://cdn..example/1.jpg", ""},
		{"a label starting with a dash", "https://-cdn.example/1.jpg", ""},
		{"a label past 63", "https://" + strings.Repeat("a", 64) + ".example/1.jpg", ""},
		{"a final dot kept", "https://cdn.example./1.jpg", "https://cdn.example./1.jpg"},
		{"a host past 253 bytes", "https://" + strings.Repeat("a.", 127) + "ab/1.jpg", ""},
		{"escape in host", "https://cdn%2eexample/1.jpg", ""},
		{"sub-delims in host", "https://cdn.example!$/1.jpg", ""},
		{"host only, query", "https://cdn.example?x=1", "https://cdn.example?x=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dto.SafeURL(tt.raw)
			if got.String() != tt.want {
				t.Fatalf("SafeURL(%q) = %q, want %q", tt.raw, got, tt.want)
			}
			if got.IsZero() != (tt.want == "") {
				t.Fatalf("IsZero = %v for %q", got.IsZero(), got)
			}
		})
	}
}

// A URL encodes as its string: "" in a required field, nothing in an
// omitzero one; decoding goes through SafeURL too.
func TestURLJSON(t *testing.T) {
	type body struct {
		Required dto.URL `json:"required"`
		Optional dto.URL `json:"optional,omitzero"`
	}
	raw, err := json.Marshal(body{})
	if err != nil || string(raw) != `{"required":""}` {
		t.Fatalf("zero: %s, %v", raw, err)
	}
	u := dto.SafeURL("http://cdn.example/a.jpg?x=1&y=<2>")
	if !u.IsZero() {
		t.Fatalf("angle brackets kept: %q", u)
	}
	u = dto.SafeURL("http://cdn.example/a.jpg?x=1&y=2")
	raw, err = json.Marshal(body{Required: u, Optional: u})
	if want := `{"required":"https://cdn.example/a.jpg?x=1\u0026y=2","optional":"https://cdn.example/a.jpg?x=1\u0026y=2"}`; err != nil || string(raw) != want {
		t.Fatalf("got %s, %v, want %s", raw, err, want)
	}
	var back body
	if err := json.Unmarshal([]byte(`{"required":"javascript:alert(1)","optional":"//cdn.example/1.jpg"}`), &back); err != nil {
		t.Fatal(err)
	}
	if !back.Required.IsZero() || back.Optional.String() != "https://cdn.example/1.jpg" {
		t.Fatalf("decoded %+v", back)
	}
}

// FuzzSafeURL: whatever the input, SafeURL gives either nothing or an https
// URL with a host, no userinfo and no byte a client could misread, and it
// is idempotent.
func FuzzSafeURL(f *testing.F) {
	for _, s := range []string{"http://a/b", "//a/b", "HTTP://a", "javascript:x", " https://a/", "https://a@b/", "https://a/%zz", "https://[::1]:80/x?y#z", "https:\\\\a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u := dto.SafeURL(raw)
		s := u.String()
		if s == "" {
			return
		}
		if !strings.HasPrefix(s, "https://") {
			t.Fatalf("SafeURL(%q) = %q: not https", raw, s)
		}
		if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune(`\"<>^{|}`+"`", r) }) {
			t.Fatalf("SafeURL(%q) = %q: unsafe character", raw, s)
		}
		p, err := url.Parse(s)
		if err != nil || p.Host == "" || p.User != nil {
			t.Fatalf("SafeURL(%q) = %q: %v, host %q, user %v", raw, s, err, p.Host, p.User)
		}
		if again := dto.SafeURL(s); again != u {
			t.Fatalf("not idempotent: %q then %q", s, again)
		}
	})
}
