// Package httpx holds the HTTP conventions mosaic's public listener keeps
// (README, "HTTP conventions"): compression, validators and conditional
// requests, caching directives, and CORS for browsers. Each piece is a plain
// function or middleware so that the router and the scene handlers compose
// them.
package httpx

// StatusClientClosed is what a request whose client left before its answer
// is recorded as, in the metrics and the access log (nginx's 499): no one
// receives it, and what failed failed because the client went, so it is
// neither a failed scene nor a degraded one, nor a request shed.
const StatusClientClosed = 499
