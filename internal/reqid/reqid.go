// Package reqid carries a request's id (X-Request-Id) on its context, so
// that every log line of the request and every downstream call it makes
// can name it. The HTTP edge puts it there; the log handler and the gRPC
// caller read it.
package reqid

import "context"

// MetadataKey is the gRPC metadata key the id travels under downstream.
const MetadataKey = "x-request-id"

type ctxKey struct{}

// With returns ctx carrying id; an empty id leaves ctx as it is.
func With(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, id)
}

// From is the id ctx carries, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// Sane reports whether a client's id may be kept and echoed: printable
// ASCII without spaces, at most 128 bytes. Anything else is replaced, so a
// client cannot put junk or a second header line into our logs and answers.
func Sane(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
