# One image with both binaries; docker-compose.yml and deploy/k8s pick the
# command. Two targets:
#   docker build -t mosaic:dev .                  # runtime: distroless, no shell
#   docker build --target debug -t mosaic:debug . # the same plus busybox, for
#                                                 # compose healthchecks (wget)
# Kubernetes probes come from the kubelet and preStop uses the sleep action,
# so the runtime image needs nothing but the binaries.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/bff ./cmd/bff \
 && CGO_ENABLED=0 go build -trimpath -o /out/mocksvc ./cmd/mocksvc

FROM gcr.io/distroless/static-debian12:debug-nonroot AS debug
COPY --from=build /out/ /
USER 65532:65532
ENTRYPOINT []

FROM gcr.io/distroless/static-debian12:nonroot AS runtime
COPY --from=build /out/ /
USER 65532:65532
ENTRYPOINT []
