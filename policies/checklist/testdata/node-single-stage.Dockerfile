FROM node:20
WORKDIR /app
COPY package*.json ./
RUN npm install
COPY . .
RUN npm run build
ENV API_TOKEN=4f9c2a7be1d04c3e9a5b
EXPOSE 3000
CMD ["node", "dist/server.js"]
