FROM golang:1.22-alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef AS build
RUN CGO_ENABLED=0 go build -o /app .

FROM scratch
COPY --from=build /app /app
ENTRYPOINT ["/app"]
