'use strict';
// Stand-in for the internet on a bottle's egress network (bot-bottle testbed).
//
//   GET  /hello -> 200 "hello from upstream\n" (headers x-upstream-host / x-upstream-scheme
//                  say which Host and scheme the request arrived with)
//   POST /echo  -> 200 with the request body unchanged (same content-type)
//   anything else -> 404
//   Host api.anthropic.com (and the login's hosts) -> the Messages API stand-in, anthropic.js
//   Host api.openai.com -> the Responses API stand-in, openai.js
//   Host generativelanguage.googleapis.com -> the Gemini API stand-in, gemini.js
//
// HTTPS on 443 with the testbed certificate, except for a stand-in's SNI names, which get that
// stand-in's own certificate from a CA of its own, name-constrained to them (the key holder's
// image trusts those CAs; the test agent trusts the Anthropic one, not the testbed one).
// Plain HTTP on 80. One JSON line per request on stdout, plus a
// "listening" line per port once it accepts connections.
// Node's built-in modules only: the image is offline and bookworm ships Node 18.

const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');

// Each API stand-in and the name of its certificate files in tlsDir.
const standIns = [
  { module: require('./anthropic.js'), tls: 'anthropic' },
  { module: require('./openai.js'), tls: 'openai' },
  { module: require('./gemini.js'), tls: 'gemini' },
];

const tlsDir = process.env.UPSTREAM_TLS_DIR || '/opt/upstream/tls';
const httpPort = Number(process.env.UPSTREAM_HTTP_PORT || 80);
const httpsPort = Number(process.env.UPSTREAM_HTTPS_PORT || 443);
// Bodies past this are refused: the tests send small payloads, and an unbounded buffer in a
// test server is a needless way to fall over.
const maxBody = 1024 * 1024;
// The stand-in that serves a host, if any.
function standInFor(host) {
  const found = standIns.find((s) => s.module.HOSTS.includes(host));
  return found && found.module;
}

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
      const standIn = standInFor(hostname(req));
      const serve = standIn ? standIn.route : route;
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
for (const { module, tls } of standIns) {
  for (const host of module.HOSTS) httpsServer.addContext(host, tlsFiles(tls));
}
listen(httpsServer, 'https', httpsPort);

// As PID 1 in a container, node gets no default signal handling: without these, `stop` would
// wait out its whole timeout before killing the server.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
