'use strict';
// Stand-in for generativelanguage.googleapis.com (bot-bottle testbed): enough of the Gemini
// API (v1beta) for a `gemini -p` run, answering every prompt with ANSWER.
//
//   POST /v1beta/models/{model}:streamGenerateContent?alt=sse -> one candidate holding ANSWER,
//                            as server-sent events (data lines only, the text in two chunks)
//   POST /v1beta/models/{model}:generateContent -> the same as one JSON answer; when the request
//                            asks for JSON (generationConfig.responseMimeType), a JSON object
//                            with the fields Gemini CLI's own side questions read (the next
//                            speaker is the user, the model router picks flash)
//   POST /v1beta/models/{model}:countTokens     -> a rough count
//   POST /v1beta/models/{model}:embedContent    -> a small embedding
//   anything else -> 404 in the API's error shape, at once
//
// /v1beta/ requests without a key (`x-goog-api-key`, `?key=`, or `Authorization: Bearer`) get
// 401, like the real API. Log fields added to server.js's line: `auth` (where the key was,
// never the key), `credentials` (fingerprints of every credential the request carried, the
// query's key= included, see standin.js), and for generate calls `model`, `stream` and `prompt`
// (the last text of the last user turn, 200 characters).

const { bearer, fingerprints, json, jsonBody, sse, tokens } = require('./standin.js');

const ANSWER = 'Hello from the bot-bottle Gemini stand-in.';
const HOSTS = ['generativelanguage.googleapis.com'];
// What a Google API key looks like, wherever in a request it is put.
const KEY_SHAPE = /AIza[0-9A-Za-z_-]{35}/g;
// What Gemini CLI's JSON side questions (next speaker check, model router, loop check) read.
const SIDE_ANSWER = JSON.stringify({
  next_speaker: 'user',
  reasoning: 'the stand-in always hands the turn back',
  model_choice: 'flash',
  complexity_reasoning: 'the stand-in',
  complexity_score: 1,
  confidence: 0,
});

function apiError(code, status, message, log) {
  return json(code, { error: { code, message, status } }, log);
}

function prompt(contents) {
  const user = [...(contents || [])].reverse().find((c) => c.role === 'user' || !c.role);
  const texts = ((user && user.parts) || []).filter((p) => typeof p.text === 'string')
    .map((p) => p.text);
  return (texts.pop() || '').slice(0, 200);
}

function candidate(text, request, model) {
  const promptTokens = tokens(request.contents);
  const answerTokens = tokens(text);
  return {
    candidates: [{
      content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0,
    }],
    usageMetadata: {
      promptTokenCount: promptTokens,
      candidatesTokenCount: answerTokens,
      totalTokenCount: promptTokens + answerTokens,
    },
    modelVersion: model,
  };
}

function generate(request, model, stream, log) {
  const wantsJson = /json/.test((request.generationConfig || {}).responseMimeType || '');
  const text = wantsJson ? SIDE_ANSWER : ANSWER;
  if (!stream) return json(200, candidate(text, request, model), log);
  const half = Math.ceil(text.length / 2);
  const first = candidate(text.slice(0, half), request, model);
  delete first.candidates[0].finishReason;
  const chunks = [sse(null, first), sse(null, candidate(text.slice(half), request, model))];
  return { status: 200, type: 'text/event-stream', chunks, log };
}

function route(req, rawBody) {
  const url = new URL(req.url, 'https://generativelanguage.googleapis.com');
  const header = req.headers['x-goog-api-key'] || null;
  const query = url.searchParams.get('key');
  const token = bearer(req);
  const auth = header ? 'x-goog-api-key' : query ? 'query' : token ? 'authorization' : null;
  const log = { auth, credentials: fingerprints(req, [header, query, token], KEY_SHAPE) };
  if (!url.pathname.startsWith('/v1beta/') && !url.pathname.startsWith('/v1/')) {
    return apiError(404, 'NOT_FOUND', `the stand-in does not serve ${url.pathname}`, log);
  }
  if (!auth) {
    return apiError(401, 'UNAUTHENTICATED', 'Method doesn\'t allow unregistered callers.', log);
  }
  const call = /^\/v1(?:beta)?\/models\/([^/:]+):([A-Za-z]+)$/.exec(url.pathname);
  if (req.method !== 'POST' || !call) {
    return apiError(404, 'NOT_FOUND', `the stand-in does not serve ${req.method} ${url.pathname}`,
      log);
  }
  const request = jsonBody(req, rawBody);
  if (request instanceof Error) {
    return apiError(400, 'INVALID_ARGUMENT', `unreadable body: ${request.message}`, log);
  }
  const [, model, method] = call;
  switch (method) {
    case 'streamGenerateContent':
    case 'generateContent': {
      const stream = method === 'streamGenerateContent';
      return generate(request, model, stream,
        { ...log, model, stream, prompt: prompt(request.contents) });
    }
    case 'countTokens':
      return json(200, { totalTokens: tokens(request.contents) }, log);
    case 'embedContent':
      return json(200, { embedding: { values: [0.1, 0.2, 0.3] } }, log);
    default:
      return apiError(404, 'NOT_FOUND', `the stand-in does not serve ${method}`, log);
  }
}

module.exports = { ANSWER, HOSTS, route };
