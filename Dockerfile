# The guestbook's image: Next.js standalone output on a Node LTS, run by a non-root user.
#   DOCKER_BUILDKIT=1 docker build -t guestbook:0.1.0 .
# BuildKit is needed (RUN --mount). Behind a TLS-intercepting proxy, pass its CA as a secret:
#   --secret id=build_ca,src=/etc/ssl/certs/ca-certificates.crt --build-arg HTTPS_PROXY ...
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The CA is readable by this step only and never stored in a layer; without the secret npm uses its own CAs.
RUN --mount=type=secret,id=build_ca \
    if [ -s /run/secrets/build_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/build_ca; fi; \
    npm ci --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# public/ is optional in a Next.js app; the runtime stage copies it either way.
RUN npm run build && mkdir -p public

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
WORKDIR /app
# Docker sets HOSTNAME to the container id, and Next's server.js listens on HOSTNAME: listen on all interfaces.
# The app drains and exits by itself on SIGTERM (lib/shutdown.ts): Next.js leaves the signals to it.
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    NEXT_MANUAL_SIG_HANDLE=true \
    PORT=3000 \
    HOSTNAME=0.0.0.0
RUN groupadd --system --gid 1001 guestbook \
 && useradd --system --uid 1001 --gid guestbook --no-create-home --shell /usr/sbin/nologin guestbook
# The code stays owned by root, so the server cannot change it; only Next's cache is writable.
COPY --from=build /app/.next/standalone ./
COPY --from=build /app/.next/static ./.next/static
COPY --from=build /app/public ./public
RUN mkdir -p .next/cache && chown guestbook:guestbook .next/cache
# Numeric, so that Kubernetes can verify runAsNonRoot.
USER 1001:1001
EXPOSE 3000
# A slim image has no curl: Node's own fetch asks the liveness route.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/api/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server.js"]
