'use strict';
// What the API stand-ins (anthropic.js, openai.js, gemini.js) share: JSON answers, request
// bodies in the encodings clients send, server-sent events, and credential fingerprints.
//
// A stand-in logs no credential, only fingerprints: the first 16 hex digits of its SHA-256,
// enough for a test to tell which one arrived (the user's, a placeholder, a foreign key)
// without the log holding any of them.

const crypto = require('node:crypto');
const zlib = require('node:zlib');

function json(status, value, log = {}) {
  return { status, type: 'application/json', body: JSON.stringify(value), log };
}

// Request bodies as clients send them: Claude Code gzips, others may deflate or use brotli.
function decode(req, body) {
  switch ((req.headers['content-encoding'] || 'identity').toLowerCase()) {
    case 'identity': return body;
    case 'gzip': return zlib.gunzipSync(body);
    case 'deflate': return zlib.inflateSync(body);
    case 'br': return zlib.brotliDecompressSync(body);
    default: throw new Error(`unsupported content-encoding ${req.headers['content-encoding']}`);
  }
}

// The body as JSON: {} for a request without one, an Error when it cannot be read.
function jsonBody(req, body) {
  if (body.length === 0) return {};
  try {
    return JSON.parse(decode(req, body).toString('utf8'));
  } catch (err) {
    return err;
  }
}

function fingerprint(value) {
  return crypto.createHash('sha256').update(String(value)).digest('hex').slice(0, 16);
}

// The fingerprints of `values` plus of every match of `shape` (a global regex) in the URL and
// any header, sorted: every credential the request carried, wherever it was put.
function fingerprints(req, values, shape) {
  const all = new Set(values.filter(Boolean));
  for (const text of [req.url, ...Object.values(req.headers).flat()]) {
    for (const key of String(text).match(shape) || []) all.add(key);
  }
  return [...all].map(fingerprint).sort();
}

function bearer(req) {
  const m = /^bearer\s+(\S+)/i.exec(req.headers.authorization || '');
  return m ? m[1] : null;
}

// One server-sent event; `event` is left out when null (Gemini's stream has data lines only).
function sse(event, data) {
  return `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

// About four characters a token: the numbers only have to be plausible.
function tokens(value) {
  return Math.max(1, Math.ceil(JSON.stringify(value || '').length / 4));
}

function stamp() {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

module.exports = { bearer, decode, fingerprint, fingerprints, json, jsonBody, sse, stamp, tokens };
