# One image with both binaries; docker-compose.yml picks the command.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/bff ./cmd/bff \
 && CGO_ENABLED=0 go build -trimpath -o /out/mocksvc ./cmd/mocksvc

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /
USER nonroot
ENTRYPOINT []
