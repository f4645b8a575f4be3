// The seed's load scenario for k6 (https://k6.io), for machines that have k6:
//
//   k6 run -e BASE_URL=https://api.dev.ci-agent.tech -e API_KEY=... tests/load/scenario.js
//   k6 run -e DURATION=60s tests/load/scenario.js          # a short run against 127.0.0.1:8080
//
// Constant arrival rate, 1000 requests/s for 10 minutes: 60 % CI logs, 40 % spam checks, plus
// large logs at their own lower rate. `make load` runs the same scenario with app/cmd/loadgen,
// because k6 is not built on this project's machines (see docs/benchmarks.md).
import http from 'k6/http';
import { check } from 'k6';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const API_KEY = __ENV.API_KEY || '';
const DURATION = __ENV.DURATION || '10m';
const RATE = Number(__ENV.RATE || 1000);
const CI_SHARE = 0.6;
const LARGE_RATE = Number(__ENV.LARGE_RATE || 2);
const LARGE_SIZE = Number(__ENV.LARGE_SIZE || 2 * 1024 * 1024);

// Real failure logs from the knowledge base's fixtures (paths relative to this script).
const CAUSES = '../../app/internal/cifailure/testdata/causes/';
const LOGS = [
  'go.undefined-identifier',
  'go.test-failed',
  'npm.eresolve',
  'python.module-not-found',
  'maven.dependency-resolution',
  'docker.pull-rate-limit',
  'k8s.image-pull-backoff',
  'rust.borrow-check',
  'gha.api-rate-limit',
].map((id) => {
  try {
    return open(CAUSES + id + '/match.log');
  } catch (e) {
    return null; // a fixture renamed since this list was written
  }
}).filter((l) => l !== null);
if (LOGS.length === 0) {
  throw new Error('no CI logs found under ' + CAUSES);
}

function texts(path) {
  return open(path)
    .split('\n=====\n')
    .slice(1)
    .map((t) => t.split('\n').filter((l) => !l.startsWith('want: ')).join('\n').trim())
    .filter((t) => t.length > 0);
}
const TEXTS = texts('../../app/internal/spam/testdata/legit.txt').concat(texts('../../app/internal/spam/testdata/scam.txt'));

// Mostly passing output, then the failure, as long jobs' logs are.
let LARGE = '';
for (let i = 1; LARGE.length < LARGE_SIZE; i++) {
  LARGE += LOGS[i % LOGS.length];
}
LARGE += LOGS[0];

const HEADERS = API_KEY ? { Authorization: `Bearer ${API_KEY}` } : {};

export const options = {
  discardResponseBodies: true,
  scenarios: {
    ci_logs: {
      executor: 'constant-arrival-rate', exec: 'ciLog',
      rate: Math.round(RATE * CI_SHARE), timeUnit: '1s', duration: DURATION,
      preAllocatedVUs: 200, maxVUs: 1000,
    },
    spam: {
      executor: 'constant-arrival-rate', exec: 'spam',
      rate: Math.round(RATE * (1 - CI_SHARE)), timeUnit: '1s', duration: DURATION,
      preAllocatedVUs: 100, maxVUs: 1000,
    },
    large_logs: {
      executor: 'constant-arrival-rate', exec: 'largeLog',
      rate: LARGE_RATE, timeUnit: '1s', duration: DURATION,
      preAllocatedVUs: 10, maxVUs: 100,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(99)<500'],
  },
};

// Each body is unique, as real inputs are, so the answer cache (keyed by input hash) misses.
function tag() {
  return `loadgen vu ${__VU} iteration ${__ITER}\n`;
}

export function ciLog() {
  const log = LOGS[Math.floor(Math.random() * LOGS.length)];
  const res = http.post(`${BASE_URL}/v1/ci/explain?repo=k6/ci&job=build`, tag() + log,
    { headers: Object.assign({ 'Content-Type': 'text/plain' }, HEADERS) });
  check(res, { 'explain 200': (r) => r.status === 200 });
}

export function spam() {
  const text = TEXTS[Math.floor(Math.random() * TEXTS.length)];
  const res = http.post(`${BASE_URL}/v1/spam/check`, JSON.stringify({ kind: 'comment', text: `${text} [${tag().trim()}]` }),
    { headers: Object.assign({ 'Content-Type': 'application/json' }, HEADERS) });
  check(res, { 'spam 200': (r) => r.status === 200 });
}

export function largeLog() {
  const res = http.post(`${BASE_URL}/v1/ci/explain?repo=k6/large&job=build`, tag() + LARGE,
    { headers: Object.assign({ 'Content-Type': 'text/plain' }, HEADERS), timeout: '60s' });
  check(res, { 'large explain 200': (r) => r.status === 200 });
}
