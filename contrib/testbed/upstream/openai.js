'use strict';
// Stand-in for api.openai.com (bot-bottle testbed): enough of the Responses API for a
// `codex exec` run, answering every prompt with ANSWER.
//
//   POST /v1/responses  -> one assistant message holding ANSWER: server-sent events when the
//                          body says "stream": true (response.created, response.in_progress,
//                          response.output_item.added, two response.output_text.delta,
//                          response.output_item.done, response.completed), else JSON
//   GET  /v1/models     -> an empty list (both the public API's "data" and Codex's "models")
//   anything else       -> 404 in the API's error shape, at once
//
// /v1/ requests without `Authorization: Bearer` get 401, like the real API. Log fields added
// to server.js's line: `auth` (the header that carried a key, never the key), `credentials`
// (fingerprints of every credential the request carried, see standin.js), and for responses
// `model`, `stream` and `prompt` (the last text of the last user message, 200 characters).

const { bearer, fingerprints, json, jsonBody, sse, stamp, tokens } = require('./standin.js');

const ANSWER = 'Hello from the bot-bottle OpenAI stand-in.';
const HOSTS = ['api.openai.com'];
// What an OpenAI key looks like (sk-…, sk-proj-…), wherever in a request it is put.
const KEY_SHAPE = /sk-[A-Za-z0-9_-]{16,}/g;

function apiError(status, type, message, log, code = null) {
  return json(status, { error: { message, type, param: null, code } }, log);
}

// The prompt as typed: Codex sends it as the last input_text of the last user message, after
// messages of its own (environment context, instructions).
function prompt(input) {
  if (typeof input === 'string') return input.slice(0, 200);
  const user = [...(input || [])].reverse().find((i) => i.role === 'user');
  if (!user) return '';
  const parts = typeof user.content === 'string' ? [{ text: user.content }] : user.content || [];
  const texts = parts.filter((p) => typeof p.text === 'string').map((p) => p.text);
  return (texts.pop() || '').slice(0, 200);
}

function response(request, log) {
  const id = `resp_standin_${stamp()}`;
  const itemId = `msg_standin_${stamp()}`;
  const model = request.model || 'gpt-stand-in';
  const created = Math.floor(Date.now() / 1000);
  const inputTokens = tokens(request.input);
  const outputTokens = tokens(ANSWER);
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
  const item = {
    id: itemId, type: 'message', status: 'completed', role: 'assistant',
    content: [{ type: 'output_text', text: ANSWER, annotations: [] }],
  };
  const base = { id, object: 'response', created_at: created, model, output: [] };
  if (!request.stream) {
    return json(200, { ...base, status: 'completed', output: [item], usage }, log);
  }
  // The text goes in two deltas, so a client that shows only the first is caught.
  const half = Math.ceil(ANSWER.length / 2);
  let sequence = 0;
  const event = (type, data) => sse(type, { type, sequence_number: sequence++, ...data });
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  const chunks = [
    event('response.created', { response: { ...base, status: 'in_progress' } }),
    event('response.in_progress', { response: { ...base, status: 'in_progress' } }),
    event('response.output_item.added', {
      output_index: 0, item: { ...item, status: 'in_progress', content: [] },
    }),
    event('response.content_part.added', {
      ...at, part: { type: 'output_text', text: '', annotations: [] },
    }),
    event('response.output_text.delta', { ...at, delta: ANSWER.slice(0, half) }),
    event('response.output_text.delta', { ...at, delta: ANSWER.slice(half) }),
    event('response.output_text.done', { ...at, text: ANSWER }),
    event('response.content_part.done', { ...at, part: item.content[0] }),
    event('response.output_item.done', { output_index: 0, item }),
    event('response.completed', {
      response: { ...base, status: 'completed', output: [item], usage },
    }),
  ];
  return { status: 200, type: 'text/event-stream; charset=utf-8', chunks, log };
}

function route(req, rawBody) {
  const urlPath = req.url.split('?')[0];
  const key = bearer(req);
  const log = {
    auth: key ? 'authorization' : null,
    credentials: fingerprints(req, [key], KEY_SHAPE),
  };
  if (!urlPath.startsWith('/v1/')) {
    return apiError(404, 'invalid_request_error', `the stand-in does not serve ${urlPath}`, log);
  }
  if (!key) {
    return apiError(401, 'invalid_request_error', 'You didn\'t provide an API key.', log,
      'missing_api_key');
  }
  const request = jsonBody(req, rawBody);
  if (request instanceof Error) {
    return apiError(400, 'invalid_request_error', `unreadable body: ${request.message}`, log);
  }
  if (req.method === 'POST' && urlPath === '/v1/responses') {
    return response(request, {
      ...log, model: request.model, stream: Boolean(request.stream), prompt: prompt(request.input),
    });
  }
  if (req.method === 'GET' && urlPath === '/v1/models') {
    return json(200, { object: 'list', data: [], models: [] }, log);
  }
  return apiError(404, 'invalid_request_error',
    `the stand-in does not serve ${req.method} ${urlPath}`, log);
}

module.exports = { ANSWER, HOSTS, route };
