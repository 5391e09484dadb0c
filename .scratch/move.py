import os, re, subprocess, sys
ROOT = '/work/main'
M = {
 'src/app.ts': 'src/app/create-app.ts',
 'src/cli.ts': 'src/app/cli.ts',
 'src/config.ts': 'src/app/config.ts',
 'src/startup-faults.ts': 'src/app/exit-codes.ts',
 'src/services.ts': 'src/graphql/services.ts',
 'src/errors.ts': 'src/graphql/errors.ts',
 'src/log.ts': 'src/util/logger.ts',
 'src/bus/batcher.ts': 'src/util/batcher.ts',
 'src/bus/deadline.ts': 'src/util/deadline.ts',
 'src/bus/fault-log.ts': 'src/util/fault-log.ts',
 'src/bus/redis-backoff.ts': 'src/util/backoff.ts',
 'src/security/bounded-cache.ts': 'src/util/bounded-cache.ts',
 'src/bus/channel-subscriber.ts': 'src/redis/channel-subscriber.ts',
 'src/bus/channels.ts': 'src/redis/keys.ts',
 'src/bus/cluster-subscriber.ts': 'src/redis/cluster-subscriber.ts',
 'src/bus/coalesced-subscriptions.ts': 'src/redis/coalesced-subscriptions.ts',
 'src/bus/hash-slot.ts': 'src/redis/hash-slot.ts',
 'src/bus/redis-connection.ts': 'src/redis/connection.ts',
 'src/bus/redis-ready.ts': 'src/redis/connect.ts',
 'src/bus/redis-faults.ts': 'src/redis/faults.ts',
 'src/bus/replica-acks.ts': 'src/redis/replica-acks.ts',
 'src/bus/replica-check.ts': 'src/redis/topology-checks.ts',
 'src/bus/sentinel-watch.ts': 'src/redis/sentinel-watch.ts',
 'src/bus/server-subscriber.ts': 'src/redis/server-subscriber.ts',
 'src/bus/shard-connection.ts': 'src/redis/shard-connection.ts',
 'src/bus/tls-probe.ts': 'src/redis/tls-probe.ts',
 'src/security/close-codes.ts': 'src/domain/close-codes.ts',
 'src/security/backlog.ts': 'src/engine/backlog.ts',
 'src/security/admission.ts': 'src/limits/admission.ts',
 'src/security/config.ts': 'src/limits/config.ts',
 'src/security/connection-limits.ts': 'src/limits/connection-limits.ts',
 'src/security/coded-errors.ts': 'src/graphql/plugins/coded-request-errors.ts',
 'src/security/query-limits.ts': 'src/graphql/plugins/query-limits.ts',
 'src/security/stream-limits.ts': 'src/graphql/plugins/stream-limits.ts',
 'src/security/frame-guard.ts': 'src/transport/ws/frame-guard.ts',
 'src/security/http-guard.ts': 'src/transport/http/http-guard.ts',
 'src/security/redis-send-rate.ts': 'src/send-rate/redis-send-rate.ts',
 'src/security/send-rate.ts': 'src/send-rate/send-rate.ts',
 'src/transport/compiled-execution.ts': 'src/graphql/compiled-execution.ts',
 'src/transport/http.ts': 'src/graphql/yoga.ts',
 'src/transport/demo-assets.ts': 'src/transport/http/demo-assets.ts',
 'src/transport/demo-options.ts': 'src/transport/http/demo-options.ts',
 'src/transport/demo-page.ts': 'src/transport/http/demo-page.ts',
 'src/transport/demo-bundle.generated.ts': 'src/transport/http/demo-bundle.generated.ts',
 'src/transport/demo-client.ts': 'web/demo/demo-client.ts',
 'src/transport/graphql-post.ts': 'src/transport/http/graphql-post.ts',
 'src/transport/operations-routes.ts': 'src/transport/http/operations-routes.ts',
 'src/auth/dev-token.ts': 'src/auth/dev-token.ts',
 'src/transport/event-plan.ts': 'src/transport/ws/event-plan.ts',
 'src/transport/graphql-ws.ts': 'src/transport/ws/graphql-ws-options.ts',
 'src/transport/pushed-subscription.ts': 'src/transport/ws/pushed-subscription.ts',
 'src/runtime/node.ts': 'src/runtime/node/host.ts',
 'src/runtime/node-graphql-ws.ts': 'src/runtime/node/graphql-ws.ts',
 'src/runtime/node-listen.ts': 'src/runtime/node/listen.ts',
 'src/runtime/upgrade-pacer.ts': 'src/runtime/node/upgrade-pacer.ts',
 'src/runtime/deno.ts': 'src/runtime/deno/host.ts',
}
# test moves (second map, optional)
T = {}
if len(sys.argv) > 1:
    import json
    T = json.load(open(sys.argv[1]))
ALL = {**M, **T}
def new_of(p):
    return ALL.get(p, p)
files = subprocess.check_output(['git','ls-files'], cwd=ROOT, text=True).split()
code = [f for f in files if re.search(r'\.(ts|mts|mjs|cjs|js)$', f) and not f.startswith('node_modules')]
spec_re = re.compile(r"""((?:from|import)\s*\(?\s*|import\s+type\s+.*?from\s+|vi\.mock\(\s*|new URL\(\s*)(['"])(\.{1,2}/[^'"]+)\2""")
changed = 0
for f in code:
    src = open(os.path.join(ROOT, f)).read()
    old_dir = os.path.dirname(f)
    nf = new_of(f)
    new_dir = os.path.dirname(nf)
    def repl(m):
        spec = m.group(3)
        target = os.path.normpath(os.path.join(old_dir, spec))
        # keep query/ trailing slash
        if target not in ALL and not os.path.exists(os.path.join(ROOT, target)) and not (target in files):
            # maybe a dir or dist path: keep relative to new location if file moved
            pass
        nt = new_of(target)
        if nt == target and nf == f:
            return m.group(0)
        rel = os.path.relpath(nt, new_dir)
        if not rel.startswith('.'):
            rel = './' + rel
        if spec.endswith('/') and not rel.endswith('/'):
            rel += '/'
        return m.group(1) + m.group(2) + rel + m.group(2)
    out = spec_re.sub(repl, src)
    if out != src:
        open(os.path.join(ROOT, f), 'w').write(out)
        changed += 1
print('rewrote', changed)
for old, new in ALL.items():
    if old == new: continue
    os.makedirs(os.path.join(ROOT, os.path.dirname(new)), exist_ok=True)
    subprocess.check_call(['git','mv', old, new], cwd=ROOT)
