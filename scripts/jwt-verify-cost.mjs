// CPU per first verification of distinct HS256 tokens: switchboard's verifier (fast-jwt) next to
// jose's WebCrypto path it replaced. `npm run build && node scripts/jwt-verify-cost.mjs [tokens]`.
import { SignJWT, jwtVerify } from 'jose';
import { createVerifier } from '../dist/auth/verifier.js';

const count = Number(process.argv[2] ?? 3000);
const secret = 'a-secret-of-at-least-thirty-two-bytes-for-hs256';
const key = new TextEncoder().encode(secret);
const tokens = await Promise.all(
  Array.from({ length: count }, (_, i) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(`u${i}`).setExpirationTime('1h').sign(key)),
);

async function cpuPerToken(verify) {
  for (const token of tokens.slice(0, 200)) await verify(token); // warm up
  const start = process.cpuUsage();
  for (const token of tokens) await verify(token);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / tokens.length;
}

const ours = createVerifier({ jwt: { kind: 'secret', secret }, jwtIssuer: undefined, jwtAudience: undefined });
const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
const jose = (token) => jwtVerify(token, cryptoKey, { algorithms: ['HS256'], requiredClaims: ['exp'] });
const results = { 'switchboard (fast-jwt)': await cpuPerToken(ours), 'jose (WebCrypto, key imported once)': await cpuPerToken(jose) };
for (const [name, micros] of Object.entries(results)) console.log(`${name}: ${micros.toFixed(1)} µs CPU per token (${count} distinct tokens)`);
