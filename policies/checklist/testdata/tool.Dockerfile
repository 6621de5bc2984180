FROM alpine:3.20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
RUN apk add --no-cache ca-certificates
COPY tool /usr/local/bin/tool
USER 65534
ENTRYPOINT ["tool"]
