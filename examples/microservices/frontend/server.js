// Serves dist/ and forwards /api/* to the backend. No dependencies.
const http = require('http');
const fs = require('fs');
const path = require('path');

const port = Number(process.env.PORT || 8080);
const backend = new URL(process.env.BACKEND_URL || 'http://backend:8000');
const root = path.join(__dirname, 'dist');

const server = http.createServer((req, res) => {
  if (req.url === '/healthz' || req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok');
  }
  if (req.url.startsWith('/api/')) {
    const upstream = http.request(
      { host: backend.hostname, port: backend.port, path: req.url, method: req.method, headers: req.headers },
      (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); },
    );
    upstream.on('error', () => { res.writeHead(502); res.end(); });
    return req.pipe(upstream);
  }
  const file = path.join(root, path.normalize(req.url === '/' ? '/index.html' : req.url));
  if (!file.startsWith(root)) {
    res.writeHead(400);
    return res.end();
  }
  fs.readFile(file, (err, body) => {
    if (err) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200);
    res.end(body);
  });
});

server.listen(port);
