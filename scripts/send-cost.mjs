// CPU per `sendMessage` through GraphqlPost, in process: the core's send path (envelop, the context
// and its token, graphql-jit, the resolver, the memory bus) without HTTP, Redis or another process, so
// a change to it shows above the noise of the end-to-end benchmark.
//
//   npm run build && node scripts/send-cost.mjs [--sends 20000] [--dist dist]
//
// `--dist` points at another build's dist/ (e.g. a worktree's) for a before/after; run the two
// alternately, a few times each. One token, one document, 100 recipients, 100-byte bodies, the
// send-rate limit off; 3,000 sends warm up first.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { SignJWT } from 'jose';

const { values } = parseArgs({ options: { sends: { type: 'string', default: '20000' }, dist: { type: 'string', default: 'dist' } } });
const dist = pathToFileURL(resolve(values.dist)).href;
const { createApp } = await import(`${dist}/app/create-app.js`);
const { parseConfig } = await import(`${dist}/app/config.js`);

const secret = 'send-cost-secret-of-at-least-thirty-two-bytes';
const app = createApp(parseConfig({ JWT_SECRET: secret, SEND_RATE_PER_SECOND: '0', NODE_ENV: 'production' }));
await app.start();
const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('1h').sign(new TextEncoder().encode(secret));
const query = 'mutation Send($to: ID!, $body: String!) { sendMessage(toUserId: $to, body: $body) { id sentAt } }';
const head = (body) => ({
  method: 'POST',
  target: '/graphql',
  contentType: 'application/json',
  contentLength: String(Buffer.byteLength(body)),
  accept: undefined,
  origin: undefined,
  authorization: `Bearer ${token}`,
  traceparent: undefined,
});

async function send(count) {
  for (let i = 0; i < count; i++) {
    const body = JSON.stringify({ query, variables: { to: `u${i % 100}`, body: 'x'.repeat(100) } });
    const answer = await app.graphqlPost.answer(head(body), body);
    if (answer?.status !== 200 || answer.body.includes('"errors"')) throw new Error(`Cannot measure: a send failed: ${JSON.stringify(answer)}`);
  }
}

await send(3000);
const sends = Number(values.sends);
const start = process.cpuUsage();
await send(sends);
const used = process.cpuUsage(start);
console.log(`${values.dist}: ${((used.user + used.system) / sends).toFixed(1)} µs of CPU per send (${sends} sends)`);
await app.stop();
