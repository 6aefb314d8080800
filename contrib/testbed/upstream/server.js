'use strict';
// Stand-in for the internet on a bottle's egress network (bot-bottle testbed).
//
//   GET  /hello -> 200 "hello from upstream\n" (headers x-upstream-host / x-upstream-scheme
//                  say which Host and scheme the request arrived with)
//   POST /echo  -> 200 with the request body unchanged (same content-type)
//   anything else -> 404
//   Host api.anthropic.com -> the Messages API stand-in in anthropic.js instead
//
// HTTPS on 443 with the testbed certificate, except for the SNI name api.anthropic.com, which
// gets the stand-in's own certificate from a CA of its own (the test agent trusts that CA and
// not the testbed one). Plain HTTP on 80. One JSON line per request on stdout, plus a
// "listening" line per port once it accepts connections.
// Node's built-in modules only: the image is offline and bookworm ships Node 18.

const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');

const anthropic = require('./anthropic.js');

const tlsDir = process.env.UPSTREAM_TLS_DIR || '/opt/upstream/tls';
const httpPort = Number(process.env.UPSTREAM_HTTP_PORT || 80);
const httpsPort = Number(process.env.UPSTREAM_HTTPS_PORT || 443);
// Bodies past this are refused: the tests send small payloads, and an unbounded buffer in a
// test server is a needless way to fall over.
const maxBody = 1024 * 1024;
// Anthropic's hosts: the API and the login's token endpoint, served by the stand-in with its
// own certificate.
const anthropicHosts = anthropic.HOSTS;

function log(fields) {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

function route(req, body) {
  const urlPath = req.url.split('?')[0];
  if (urlPath === '/hello' && req.method === 'GET') {
    return { status: 200, type: 'text/plain; charset=utf-8', body: 'hello from upstream\n' };
  }
  if (urlPath === '/echo' && req.method === 'POST') {
    return {
      status: 200,
      type: req.headers['content-type'] || 'application/octet-stream',
      body,
    };
  }
  return { status: 404, type: 'text/plain; charset=utf-8', body: 'not found\n' };
}

function hostname(req) {
  return (req.headers.host || '').replace(/:\d+$/, '').toLowerCase();
}

function handler(scheme) {
  return (req, res) => {
    const chunks = [];
    let received = 0;
    let tooLarge = false;
    req.on('data', (chunk) => {
      received += chunk.length;
      if (received > maxBody) {
        tooLarge = true;
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      const serve = anthropicHosts.includes(hostname(req)) ? anthropic.route : route;
      const answer = tooLarge
        ? { status: 413, type: 'text/plain; charset=utf-8', body: 'body too large\n' }
        : serve(req, Buffer.concat(chunks));
      const headers = {
        'content-type': answer.type,
        'x-upstream-host': req.headers.host || '',
        'x-upstream-scheme': scheme,
      };
      if (answer.chunks) {
        // A stream (server-sent events): chunked, one write per event, as a real API sends it.
        res.writeHead(answer.status, { ...headers, 'cache-control': 'no-cache' });
        for (const chunk of answer.chunks) res.write(chunk);
        res.end();
      } else {
        res.writeHead(answer.status, { ...headers, 'content-length': Buffer.byteLength(answer.body) });
        res.end(answer.body);
      }
      log({
        scheme,
        method: req.method,
        host: req.headers.host || '',
        path: req.url,
        status: answer.status,
        bytes_in: received,
        remote: req.socket.remoteAddress,
        ...answer.log,
      });
    });
    req.on('error', (err) => log({ scheme, event: 'request-error', error: err.message }));
  };
}

function listen(server, scheme, port) {
  server.on('error', (err) => {
    log({ scheme, event: 'server-error', error: err.message });
    process.exit(1);
  });
  server.listen(port, () => log({ scheme, event: 'listening', port }));
}

const tlsFiles = (name) => ({
  cert: fs.readFileSync(path.join(tlsDir, `${name}.crt`)),
  key: fs.readFileSync(path.join(tlsDir, `${name}.key`)),
});
listen(http.createServer(handler('http')), 'http', httpPort);
const httpsServer = https.createServer(tlsFiles('upstream'), handler('https'));
for (const host of anthropicHosts) httpsServer.addContext(host, tlsFiles('anthropic'));
listen(httpsServer, 'https', httpsPort);

// As PID 1 in a container, node gets no default signal handling: without these, `stop` would
// wait out its whole timeout before killing the server.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
