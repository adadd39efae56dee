# JIT Access as a container for Cloud Run, built by cloudbuild.yaml. Step-by-step guide: docs/deploy.md.
# Same build as on App Engine: `npm run gcp-build` compiles the server and bundles the SPA into dist/.
ARG NODE_VERSION=22

# --- build: all dependencies (TypeScript, Vite), sources, production build -----------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install`, not `npm ci`: a lockfile written on one platform may lack other platforms' optional
# binaries (swc, rolldown), which `npm ci` refuses; `npm install` keeps the locked versions and fills them in.
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.server.json vite.config.mts ./
COPY server ./server
COPY web ./web
RUN npm run gcp-build

# --- run: production dependencies and dist/ only, as an unprivileged user -----------------------------
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# V8's compile cache of the service's modules (docs/performance.md): Node files it under the id of the user
# who wrote it, so it is written again here, as the user that runs the service, against these node_modules.
RUN rm -rf dist/compile-cache && install -d -o node -g node dist/compile-cache
# The image's `node` user (uid 1000): the service needs no write access to its own files.
USER node
RUN node dist/server/compile-cache.js
# Cloud Run sets PORT (8080 by default); the service listens on it.
EXPOSE 8080
# `node` itself, not `npm start`: npm adds a quarter of a second and a second process's memory to every
# cold start, and would not pass SIGTERM on to the service. Keep it equal to app.yaml's entrypoint (which
# says why the young generation is smaller than V8's default).
CMD ["node", "--max-semi-space-size=4", "dist/server/main.js"]
