ARG NPM_TOKEN=npm_1a2b3c4d5e6f7a8b9c0d
FROM node:20-alpine@sha256:fb4cd12c85ee03686f6af5362a0b0d56d50c58a04632e6c0fb8363f609372293
ARG NPM_TOKEN
RUN git clone https://deploy:gh7Kq2Lm9Zx@git.example.com/shop/ui.git /src
USER node
