# syntax=docker/dockerfile:1
# Multi-stage build of a small, non-root lineaged image.
#   docker build -t lineaged .
#   docker run --rm -p 26657:26657 lineaged dev --rpc.laddr tcp://0.0.0.0:26657
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/lineageledger/lineaged/app.Version=${VERSION}" \
      -o /out/lineaged ./cmd/lineaged

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/lineaged /usr/local/bin/lineaged
USER nonroot:nonroot
ENV LINEAGED_HOME=/home/nonroot/.lineaged
# P2P, CometBFT RPC, gRPC query API, Prometheus metrics.
EXPOSE 26656 26657 9090 26660
ENTRYPOINT ["/usr/local/bin/lineaged"]
CMD ["start"]
