package dto

import (
	"bytes"
	"encoding/json"
)

// ByBuild is a body whose shape depends on the app build that asks: builds
// below 8000000 parse only the flat legacy card and get Legacy, every other
// build gets Current (docs/ARCHITECTURE.md, "Device adaptation"). Both are
// typed; the JSON is that of the one the build gets, as if it stood alone.
type ByBuild[C, L any] struct {
	Current C
	// Legacy, when set, is what the client receives instead of Current.
	Legacy *L
}

// Body is the value the client receives, for writers that encode it
// directly rather than through MarshalJSON.
func (b ByBuild[C, L]) Body() any {
	if b.Legacy != nil {
		return b.Legacy
	}
	return b.Current
}

// Encoded is the value a writer encodes for the body v: a ByBuild's Body
// (so that it is encoded once, not once in MarshalJSON and again to
// compact the result), any other body itself.
func Encoded(v any) any {
	if b, ok := v.(interface{ Body() any }); ok {
		return b.Body()
	}
	return v
}

// MarshalJSON encodes Body. HTML is not escaped here: the encoder that asked
// escapes the result (or not) as it escapes everything else, so the bytes
// are those of Body encoded by that encoder.
func (b ByBuild[C, L]) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b.Body()); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
