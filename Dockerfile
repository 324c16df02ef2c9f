# civicstream service image for docker-compose.yml. Runs the TypeScript sources with tsx,
# the same way `npm start` does; no build step.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

COPY . .
# Install inside the image (not the host's node_modules): @duckdb/node-api ships a native
# binary per platform, and the host's copy may not match the container's.
RUN rm -rf node_modules \
  && npm ci --omit=dev --no-audit --no-fund \
  && mkdir -p /app/data

# MQTT (sensors) and HTTP (API, /healthz, /metrics).
EXPOSE 1883 8080

CMD ["npx", "tsx", "cli/main.ts", "start"]
