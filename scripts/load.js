// k6 load test for any OpenAI-compatible endpoint (the gateway, or the fake provider directly).
// Env: URL (base, without /v1), KEY, MODEL (default gpt-4o), RATE (requests/s, default 20),
//      DURATION (default 30s), STREAM_RATIO (0..1 share of streamed requests, default 0.2),
//      VUS (pre-allocated virtual users, default 4*RATE), MAX_VUS (default 8*RATE),
//      P95_MS (threshold, default 2000), MAX_ERROR_RATE (threshold, default 0.01),
//      SUMMARY (path of the JSON summary, default load-summary.json),
//      ARRIVALS ('even': k6's evenly spaced arrivals, the default; 'jittered': each request starts at a random
//      point of its 1/RATE slot, same mean rate, no fixed period for a proxy's own cycle to lock onto; the
//      wait is the arrival_delay metric),
//      API ('chat', the default: /v1/chat/completions; 'messages': Anthropic's /v1/messages, x-api-key;
//      'responses': OpenAI's /v1/responses), each with its own body, streaming form and answer check,
//      GRACEFUL_STOP (how long requests still in flight at the end may finish, default k6's 30s; an
//      interrupted request is in no figure of the summary, although the gateway may have served it).
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Trend, Counter } from 'k6/metrics';

const URL = (__ENV.URL || 'http://localhost:4000').replace(/\/$/, '');
const KEY = __ENV.KEY || '';
const MODEL = __ENV.MODEL || 'gpt-4o';
const RATE = parseInt(__ENV.RATE || '20', 10);
const DURATION = __ENV.DURATION || '30s';
const STREAM_RATIO = parseFloat(__ENV.STREAM_RATIO || '0.2');
const P95_MS = parseInt(__ENV.P95_MS || '2000', 10);
const MAX_ERROR_RATE = parseFloat(__ENV.MAX_ERROR_RATE || '0.01');
const JITTERED = (__ENV.ARRIVALS || 'even') === 'jittered';
const API = __ENV.API || 'chat';

// per API: the path, the request body, and what a complete answer contains (streamed: the end event)
const APIS = {
  chat: {
    path: '/v1/chat/completions',
    body: (text, stream) => Object.assign({ model: MODEL, messages: [{ role: 'user', content: text }] },
      stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    done: (stream) => (stream ? '[DONE]' : '"choices"'),
  },
  messages: {
    path: '/v1/messages',
    body: (text, stream) => Object.assign({ model: MODEL, max_tokens: 256, messages: [{ role: 'user', content: text }] },
      stream ? { stream: true } : {}),
    done: (stream) => (stream ? 'message_stop' : '"content"'),
  },
  responses: {
    path: '/v1/responses',
    body: (text, stream) => Object.assign({ model: MODEL, input: text }, stream ? { stream: true } : {}),
    done: (stream) => (stream ? 'response.completed' : '"output"'),
  },
};
if (!APIS[API]) throw new Error(`API must be one of ${Object.keys(APIS).join(', ')}, not ${API}`);

const overhead = new Trend('litellm_overhead_ms', true);
const streamed = new Counter('streamed_requests');
const rust = new Counter('rust_handled');  // answers LiteLLM's Rust core served (x-litellm-rust: true)
const delayed = new Trend('arrival_delay', true);  // ARRIVALS=jittered: how long a request waited in its slot

export const options = {
  discardResponseBodies: false,
  scenarios: {
    chat: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: parseInt(__ENV.VUS || String(Math.max(4, RATE * 4)), 10),
      maxVUs: parseInt(__ENV.MAX_VUS || String(Math.max(8, RATE * 8)), 10),
      gracefulStop: __ENV.GRACEFUL_STOP || '30s',
    },
  },
  thresholds: {
    http_req_failed: [`rate<${MAX_ERROR_RATE}`],
    http_req_duration: [`p(95)<${P95_MS}`],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

export default function () {
  if (JITTERED) {
    const delay = Math.random() / RATE;
    delayed.add(delay * 1000);
    sleep(delay);
  }
  const stream = Math.random() < STREAM_RATIO;
  const api = APIS[API];
  const body = api.body(`Say hello #${__ITER}`, stream);
  const headers = { 'Content-Type': 'application/json' };
  if (KEY) headers.Authorization = `Bearer ${KEY}`;
  if (KEY && API === 'messages') headers['x-api-key'] = KEY;  // what Anthropic's clients send
  const res = http.post(`${URL}${api.path}`, JSON.stringify(body), { headers, tags: { stream: String(stream) } });
  if (stream) streamed.add(1);
  check(res, {
    'status 200': (r) => r.status === 200,
    'has answer': (r) => String(r.body).includes(api.done(stream)),
  });
  const extra = res.headers['X-Litellm-Overhead-Duration-Ms'];
  if (extra !== undefined) overhead.add(parseFloat(extra));
  if (res.headers['X-Litellm-Rust'] === 'true') rust.add(1);
}

export function handleSummary(data) {
  const out = {};
  out[__ENV.SUMMARY || 'load-summary.json'] = JSON.stringify(data, null, 2);
  out.stdout = `\n${data.metrics.http_reqs ? data.metrics.http_reqs.values.count : 0} requests, ` +
    `${data.metrics.http_reqs ? data.metrics.http_reqs.values.rate.toFixed(1) : 0} req/s, ` +
    `p50 ${data.metrics.http_req_duration.values.med.toFixed(1)} ms, p95 ${data.metrics.http_req_duration.values['p(95)'].toFixed(1)} ms, ` +
    `failed ${(data.metrics.http_req_failed.values.rate * 100).toFixed(2)}%` +
    (data.metrics.litellm_overhead_ms ? `, LiteLLM overhead p50 ${data.metrics.litellm_overhead_ms.values.med.toFixed(1)} ms` : '') + '\n';
  return out;
}
