// Copies the static assets into dist/ (a stand-in for a real bundler).
const fs = require('fs');
const path = require('path');

fs.rmSync('dist', { recursive: true, force: true });
fs.mkdirSync('dist', { recursive: true });
for (const f of fs.readdirSync('public')) {
  fs.copyFileSync(path.join('public', f), path.join('dist', f));
}
