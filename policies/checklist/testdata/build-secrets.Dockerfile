ARG NPM_TOKEN
FROM node:20-alpine@sha256:fb4cd12c85ee03686f6af5362a0b0d56d50c58a04632e6c0fb8363f609372293 AS base
ENV SESSION_SECRET_FILE=/run/secrets/session
ENV DB_PASSWORD=""
RUN --mount=type=secret,id=npm,env=NPM_TOKEN npm ci --omit=dev

FROM base
ENV PORT=8080
USER node
