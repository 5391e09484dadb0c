# syntax=docker/dockerfile:1
# switchboard: a small production image. Build with `docker build -t switchboard .`; see docs/DEPLOY.md.
# The current Node.js LTS (26); the suite also passes on 20, this machine's (end of life upstream).
ARG NODE_VERSION=26

# Production dependencies only, installed from the lock file.
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# client/ is an npm workspace of the repo: npm ci needs its package.json (the image does not use it).
COPY client/package.json ./client/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The compiler, esbuild and their types come from the dev dependencies; only dist/ and web/dist/
# (the pages' scripts, bundled with @switchboard/client's sources) leave this stage.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY client/package.json ./client/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY client/src ./client/src
COPY web ./web
COPY scripts/bundle-web.mjs ./scripts/
COPY src ./src
RUN node scripts/bundle-web.mjs && node node_modules/typescript7/bin/tsc -p tsconfig.build.json

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    PORT=4000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY package.json ./
# The image's unprivileged `node` user (uid 1000); nothing in /app is writable by it.
USER node
EXPOSE 4000
# Liveness only: /health stays 200 while the process serves, even while Redis is away (/ready is the
# one that follows Redis and draining; orchestrators probe it separately).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 and handles SIGTERM itself: readiness off, sockets closed with 1001, sends finished,
# within SHUTDOWN_TIMEOUT_MS. Give `docker stop -t` / stop_grace_period more than that.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
