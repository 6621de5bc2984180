ARG NODE=node:20.20.2-alpine@sha256:fb4cd12c85ee03686f6af5362a0b0d56d50c58a04632e6c0fb8363f609372293
FROM ${NODE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM ${NODE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM ${NODE}
ENV NODE_ENV=production
WORKDIR /app
RUN apk add --no-cache --virtual .build-deps python3 make g++ \
 && npm install -g node-gyp \
 && apk del .build-deps \
 && addgroup -S -g 1001 web && adduser -S -u 1001 -G web web
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER web
EXPOSE 8080
HEALTHCHECK CMD ["node", "dist/healthcheck.js"]
CMD ["node", "dist/server.js"]
