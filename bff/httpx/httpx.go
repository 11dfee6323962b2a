// Package httpx holds the HTTP conventions mosaic's public listener keeps
// (README, "HTTP conventions"): compression, validators and conditional
// requests, caching directives, and CORS for browsers. Each piece is a plain
// function or middleware so that the router and the scene handlers compose
// them.
package httpx
