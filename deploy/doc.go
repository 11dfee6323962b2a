// Package deploy holds no code of its own: its tests check what runs the
// fleet (docker-compose.yml, the Kubernetes manifests in k8s/, the gateway
// config in gateway/ and the local topology in local/) against the real
// binaries, nginx and etcd.
//
// It is a module of its own (mosaic/deploy) so that the Kubernetes API types
// the manifest test decodes into stay out of the server's go.mod, as the code
// generators in tools/ do. The root module's TestDeployModule runs this
// module's vet and tests, so one `go test ./...` at the root covers it.
package deploy
