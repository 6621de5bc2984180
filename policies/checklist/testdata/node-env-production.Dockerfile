FROM node:20-alpine@sha256:fb4cd12c85ee03686f6af5362a0b0d56d50c58a04632e6c0fb8363f609372293
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci && yarn install --frozen-lockfile
COPY dist ./dist
USER node
CMD ["node", "dist/server.js"]
