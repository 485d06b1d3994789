# One image for the API, the worker and the simulators; docker-compose.yml picks the
# entry point. TypeScript runs through tsx (a runtime dependency), no build step.
# Debian (glibc), not Alpine: the Temporal worker's native core needs glibc.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Only the code the services run (no node_modules/.tools/.data from the build context).
COPY tsconfig.json ./
COPY config ./config
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY api ./api
COPY simulators ./simulators
COPY common ./common
COPY scripts/simulators.ts ./scripts/simulators.ts

USER node
EXPOSE 3000
# `node --import tsx` rather than `npx tsx`: one process, so SIGTERM from `docker stop`
# reaches the app directly (the worker drains in-flight tasks before exiting).
CMD ["node", "--import", "tsx", "api/main.ts"]
