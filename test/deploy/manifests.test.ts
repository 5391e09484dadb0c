import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, parseConfig } from '../../src/app/config.ts';

// No Docker engine or cluster runs here: these checks read the deployment files and hold them to
// what the service accepts (its configuration) and serves (its probe paths).

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const KNOWN = new Set(CONFIG_VARIABLES.map((variable) => variable.name));

// `any`: manifests are arbitrary YAML; the expectations below are the type checks.
type Manifest = Record<string, any>;
const manifests: Manifest[] = readdirSync(new URL('deploy/k8s/', root))
  .filter((name) => name.endsWith('.yaml'))
  .flatMap((name) => parseAllDocuments(read(`deploy/k8s/${name}`)).map((doc) => doc.toJS() as Manifest));
const ofKind = (kind: string): Manifest => {
  const found = manifests.find((manifest) => manifest['kind'] === kind);
  if (found === undefined) throw new Error(`deploy/k8s has no ${kind}`);
  return found;
};

/** `${NAME:-default}` → default, as docker compose interpolates when NAME is unset. */
const interpolate = (value: unknown) => String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

describe('Kubernetes manifests (deploy/k8s)', () => {
  const deployment = ofKind('Deployment');
  const pod = deployment['spec']['template'];
  const container = pod['spec']['containers'][0];
  const configMap = ofKind('ConfigMap');
  const secret = ofKind('Secret');

  it('parse, and kustomization.yaml lists every manifest but the example Secret', () => {
    const kustomization = parseYaml(read('deploy/k8s/kustomization.yaml')) as Manifest;
    const files = readdirSync(new URL('deploy/k8s/', root)).filter((n) => n.endsWith('.yaml') && n !== 'kustomization.yaml');
    expect([...kustomization['resources']].sort()).toEqual(files.filter((n) => n !== 'secret.example.yaml').sort());
    for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'ConfigMap', 'Ingress']) expect(ofKind(kind)).toBeDefined();
  });

  it('the Service, the PodDisruptionBudget and the Deployment select the pods the Deployment makes', () => {
    const labels = pod['metadata']['labels'];
    expect(deployment['spec']['selector']['matchLabels']).toEqual(labels);
    expect(ofKind('Service')['spec']['selector']).toEqual(labels);
    expect(ofKind('PodDisruptionBudget')['spec']['selector']['matchLabels']).toEqual(labels);
    expect(ofKind('Service')['spec']['ports'][0]['targetPort']).toBe(container['ports'][0]['name']);
  });

  it('readiness probes /ready and liveness probes /health on the container port', () => {
    expect(container['readinessProbe']['httpGet']).toEqual({ path: '/ready', port: 'http' });
    expect(container['livenessProbe']['httpGet']).toEqual({ path: '/health', port: 'http' });
    expect(container['ports'][0]).toEqual({ name: 'http', containerPort: 4000 });
  });

  it('the grace period covers the preStop sleep plus SHUTDOWN_TIMEOUT_MS', () => {
    const [command, seconds] = container['lifecycle']['preStop']['exec']['command'];
    expect(command).toBe('sleep');
    const shutdownMs = Number(configMap['data']['SHUTDOWN_TIMEOUT_MS']);
    expect(shutdownMs).toBeGreaterThan(0);
    expect(pod['spec']['terminationGracePeriodSeconds'] * 1000).toBeGreaterThanOrEqual(Number(seconds) * 1000 + shutdownMs + 1000);
  });

  it('runs as a non-root user with a read-only root file system', () => {
    expect(pod['spec']['securityContext']).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container['securityContext']).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  });

  it('sets only variables the service knows, with values it accepts', () => {
    const env: Record<string, string> = { ...configMap['data'], ...secret['stringData'] };
    for (const entry of container['env']) env[entry.name] = entry.value ?? 'pod-name-from-the-downward-api';
    expect(Object.keys(env).filter((name) => !KNOWN.has(name))).toEqual([]);
    expect(parseConfig(env)).toMatchObject({
      production: true,
      port: 4000,
      redis: { kind: 'standalone', url: secret['stringData']['REDIS_URL'] },
      shutdownTimeoutMs: Number(configMap['data']['SHUTDOWN_TIMEOUT_MS']),
    });
  });

  it('the Ingress routes only the public paths to the Service port', () => {
    const paths = ofKind('Ingress')['spec']['rules'][0]['http']['paths'];
    expect(paths.map((p: Manifest) => p['path'])).toEqual(['/graphql', '/', '/demo.js', '/demo.css']);
    for (const path of paths) expect(path['backend']['service']).toEqual({ name: 'switchboard', port: { name: 'http' } });
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as Manifest;
  const nodes = ['node-a', 'node-b'].map((name) => compose['services'][name] as Manifest);

  it('runs Redis, two nodes with distinct NODE_IDs on that Redis, and nginx with deploy/nginx/nginx.conf', () => {
    expect(Object.keys(compose['services']).sort()).toEqual(['nginx', 'node-a', 'node-b', 'redis']);
    expect(nodes.map((node) => node['environment']['NODE_ID'])).toEqual(['node-a', 'node-b']);
    for (const node of nodes) expect(node['environment']['REDIS_URL']).toBe('redis://redis:6379');
    expect(compose['services']['nginx']['volumes']).toContain('./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf:ro');
  });

  it('gives the nodes only variables the service knows; they start with a JWT_SECRET, or in development without one', () => {
    for (const node of nodes) {
      const env = Object.fromEntries(Object.entries(node['environment']).map(([name, value]) => [name, interpolate(value)]));
      expect(Object.keys(env).filter((name) => !KNOWN.has(name))).toEqual([]);
      expect(() => parseConfig(env)).toThrow(/no JWT configuration/);
      expect(parseConfig({ ...env, JWT_SECRET: 'x'.repeat(32) }).production).toBe(true);
      expect(parseConfig({ ...env, NODE_ENV: 'development' }).jwt).toEqual({ kind: 'dev' });
    }
  });

  it('lets a drain finish before Docker kills a node', () => {
    for (const node of nodes) {
      const graceSeconds = Number(/^(\d+)s$/.exec(node['stop_grace_period'])?.[1]);
      expect(graceSeconds * 1000).toBeGreaterThan(Number(node['environment']['SHUTDOWN_TIMEOUT_MS']));
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('is multi-stage, runs as the unprivileged node user, and health-checks /health', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/health/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
  });

  it("bundles the pages' scripts in the build stage and ships them beside dist/ (dist/main.js imports ../web/dist/bundles.js)", () => {
    expect(dockerfile).toMatch(/^RUN node scripts\/bundle-web\.mjs && node node_modules\/typescript7\/bin\/tsc -p tsconfig\.build\.json$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/web\/dist \.\/web\/dist$/m);
  });

  it('copies everything the build needs past .dockerignore', () => {
    const allowed = read('.dockerignore').split('\n').filter((line) => line.startsWith('!')).map((line) => line.slice(1).replace(/\/$/, ''));
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] ?? '').split(' '));
    expect(copied.filter((path) => !allowed.includes(path.replace(/\/$/, '')))).toEqual([]);
  });
});
