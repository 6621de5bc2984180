FROM golang:latest AS build
RUN go build -o /app .

FROM ubuntu
COPY --from=build /app /app
COPY --from=alpine:latest /etc/ssl/certs /etc/ssl/certs
USER app
ENTRYPOINT ["/app"]
