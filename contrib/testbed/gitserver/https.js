'use strict';
// HTTPS for the testbed git server: git's smart HTTP from `git http-backend` (CGI) over
// /srv/git/https, for requests whose basic-auth password is the token in /opt/gitserver/token.
// One JSON line per request on stdout. Node's built-in modules only (offline image).

const fs = require('node:fs');
const https = require('node:https');
const { spawn } = require('node:child_process');

const tls = '/opt/gitserver/tls';
const token = () => fs.readFileSync('/opt/gitserver/token', 'utf8').trim();

function log(fields) {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

function authorized(req) {
  const header = req.headers.authorization || '';
  if (!header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1) === token();
}

const server = https.createServer(
  { cert: fs.readFileSync(`${tls}/upstream.crt`), key: fs.readFileSync(`${tls}/upstream.key`) },
  (req, res) => {
    const [path, query = ''] = req.url.split('?');
    if (!authorized(req)) {
      log({ method: req.method, path, status: 401 });
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
      res.end('token required\n');
      return;
    }
    const env = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: '/srv/git/https',
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: path,
      QUERY_STRING: query,
      REQUEST_METHOD: req.method,
      REMOTE_USER: 'bot',
      REMOTE_ADDR: req.socket.remoteAddress || '',
    };
    if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
    if (req.headers['git-protocol']) env.GIT_PROTOCOL = req.headers['git-protocol'];
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.slice(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else res.setHeader(name, value);
      }
      res.statusCode = status;
      log({ method: req.method, path, query, status });
      res.write(head.slice(end + 4));
    });
    cgi.on('close', () => res.end());
  },
);
server.listen(443, () => log({ listening: 'https', port: 443 }));
