'use strict';
// Stand-in for api.anthropic.com (bot-bottle testbed): enough of the Messages API for a
// Claude Code `-p` run, answering every prompt with ANSWER; and for platform.claude.com, the
// token endpoint where Claude Code refreshes its login.
//
//   platform.claude.com:
//   POST /v1/oauth/token            -> grant_type refresh_token with a refresh token
//                                      (sk-ant-ort01-…): a new access and refresh token; anything
//                                      else 400 invalid_grant
//
//   POST /v1/messages               -> one assistant message holding ANSWER, as JSON or, when the
//                                      request says "stream": true, as server-sent events
//   POST /v1/messages/count_tokens  -> a rough count
//   HEAD|GET /api/hello             -> 200 (Claude Code's connectivity check)
//   GET /api/claude_code/organizations/metrics_enabled -> metrics off, so none are exported
//   POST /api/event_logging/...     -> 200, events dropped
//   anything else -> 404 in the API's error shape, at once: Claude Code treats a 404 from its
//                    settings, policy, feature-flag and bootstrap endpoints as "nothing there"
//
// A prompt containing NO_STREAM makes streamed requests fail with 404, as if the streaming
// endpoint were missing: Claude Code then retries without streaming, which is how a test gets it
// to read the JSON answer.
//
// /v1/ requests without an x-api-key or bearer token get 401, like the real API. The module
// only decides answers; server.js serves them and logs one line per request, with the fields of
// `log` added: never a key itself, only fingerprints (`credentials`: the SHA-256 prefix of each
// credential the request carried), so a test can tell whose credential arrived.

const { decode, fingerprint, json, sse: event } = require('./standin.js');

const ANSWER = 'Hello from the bot-bottle Anthropic stand-in.';
const HOSTS = ['api.anthropic.com', 'platform.claude.com', 'claude.ai'];
const TOKEN_HOST = 'platform.claude.com';
const NO_STREAM = '[stand-in:no-stream]';

function apiError(status, type, message, log) {
  return json(status, { type: 'error', error: { type, message } }, log);
}

// Which header carried a credential: its name only, so the log can show the key arrived.
function credential(req) {
  if (req.headers['x-api-key']) return 'x-api-key';
  if (/^bearer\s+\S/i.test(req.headers.authorization || '')) return 'authorization';
  return null;
}

// Every credential the request carries, fingerprinted: the x-api-key and bearer values, and
// anything shaped like an Anthropic key in the URL or any header.
function credentialsSeen(req) {
  const values = new Set();
  if (req.headers['x-api-key']) values.add(req.headers['x-api-key']);
  const bearer = /^bearer\s+(\S+)/i.exec(req.headers.authorization || '');
  if (bearer) values.add(bearer[1]);
  for (const text of [req.url, ...Object.values(req.headers).flat()]) {
    for (const key of String(text).match(/sk-ant-[A-Za-z0-9_-]+/g) || []) values.add(key);
  }
  return [...values].map(fingerprint).sort();
}

// The prompt as the user typed it: Claude Code sends it as the last text block of the last user
// message, after its own <system-reminder> blocks. Logged so a test can see what arrived.
function prompt(messages) {
  const user = [...(messages || [])].reverse().find((m) => m.role === 'user');
  if (!user) return '';
  const blocks = typeof user.content === 'string' ? [{ type: 'text', text: user.content }] : user.content;
  const texts = (blocks || []).filter((b) => b.type === 'text').map((b) => b.text);
  return (texts.pop() || '').slice(0, 200);
}

// About four characters a token: the numbers only have to be plausible.
function tokens(value) {
  return Math.max(1, Math.ceil(JSON.stringify(value || '').length / 4));
}

function messageId() {
  return `msg_standin_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

function sse(type, data) {
  return event(type, { type, ...data });
}

function message(request, log) {
  const id = messageId();
  const model = request.model || 'claude-stand-in';
  const usage = { input_tokens: tokens(request.messages), output_tokens: tokens(ANSWER) };
  if (!request.stream) {
    return json(200, {
      id, type: 'message', role: 'assistant', model,
      content: [{ type: 'text', text: ANSWER }],
      stop_reason: 'end_turn', stop_sequence: null, usage,
    }, log);
  }
  // The event sequence the API documents for one text block; the text goes in two deltas so a
  // client that only shows the first one is caught.
  const half = Math.ceil(ANSWER.length / 2);
  const chunks = [
    sse('message_start', {
      message: {
        id, type: 'message', role: 'assistant', model, content: [],
        stop_reason: null, stop_sequence: null,
        usage: { input_tokens: usage.input_tokens, output_tokens: 1 },
      },
    }),
    sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    sse('ping', {}),
    sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ANSWER.slice(0, half) } }),
    sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ANSWER.slice(half) } }),
    sse('content_block_stop', { index: 0 }),
    sse('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    }),
    sse('message_stop', {}),
  ];
  return { status: 200, type: 'text/event-stream; charset=utf-8', chunks, log };
}

// The login's token endpoint. The log says which grant came and whether a refresh token was
// there, never the token.
function oauthToken(req, rawBody) {
  let request;
  try {
    const text = decode(req, rawBody).toString('utf8');
    request = /json/.test(req.headers['content-type'] || '')
      ? JSON.parse(text)
      : Object.fromEntries(new URLSearchParams(text));
  } catch (err) {
    return json(400, { error: 'invalid_request', error_description: err.message });
  }
  const log = {
    grant_type: request.grant_type || null,
    refresh_token: /^sk-ant-ort01-/.test(request.refresh_token || '') ? 'present' : 'absent',
    refresh_token_sha256: request.refresh_token ? fingerprint(request.refresh_token) : null,
    credentials: credentialsSeen(req),
  };
  if (request.grant_type !== 'refresh_token' || log.refresh_token !== 'present') {
    return json(400, { error: 'invalid_grant', error_description: 'the stand-in refreshes only' }, log);
  }
  const stamp = Date.now().toString(36);
  return json(200, {
    token_type: 'Bearer',
    access_token: `sk-ant-oat01-standin-${stamp}-${'a'.repeat(40)}`,
    refresh_token: `sk-ant-ort01-standin-${stamp}-${'r'.repeat(40)}`,
    expires_in: 28800,
    scope: request.scope || 'user:inference user:profile',
  }, log);
}

function route(req, rawBody) {
  const urlPath = req.url.split('?')[0];
  const host = (req.headers.host || '').replace(/:\d+$/, '').toLowerCase();
  if (host === TOKEN_HOST && req.method === 'POST' && urlPath === '/v1/oauth/token') {
    return oauthToken(req, rawBody);
  }
  const log = { auth: credential(req), credentials: credentialsSeen(req) };
  if (urlPath.startsWith('/v1/')) {
    if (!log.auth) {
      return apiError(401, 'authentication_error', 'x-api-key header is required', log);
    }
    let request;
    try {
      request = req.method === 'POST' ? JSON.parse(decode(req, rawBody).toString('utf8')) : {};
    } catch (err) {
      return apiError(400, 'invalid_request_error', `unreadable body: ${err.message}`, log);
    }
    if (req.method === 'POST' && urlPath === '/v1/messages') {
      const asked = prompt(request.messages);
      const details = { ...log, model: request.model, stream: Boolean(request.stream), prompt: asked };
      if (request.stream && asked.includes(NO_STREAM)) {
        return apiError(404, 'not_found_error', 'streaming is off for this prompt', details);
      }
      return message(request, details);
    }
    if (req.method === 'POST' && urlPath === '/v1/messages/count_tokens') {
      return json(200, { input_tokens: tokens(request.messages) }, log);
    }
  }
  if (urlPath === '/api/hello' && (req.method === 'GET' || req.method === 'HEAD')) {
    return json(200, { message: 'hello' }, log);
  }
  if (urlPath === '/api/claude_code/organizations/metrics_enabled' && req.method === 'GET') {
    return json(200, { metrics_logging_enabled: false }, log);
  }
  if (urlPath.startsWith('/api/event_logging/') && req.method === 'POST') {
    return json(200, {}, log);
  }
  return apiError(404, 'not_found_error', `the stand-in does not serve ${req.method} ${urlPath}`, log);
}

module.exports = { ANSWER, HOSTS, NO_STREAM, route };
