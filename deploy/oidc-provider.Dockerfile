# The demo OpenID Connect provider of the single-host compose file, with the demo users
# (devstack/oidc/); in production the portal and the services use the trust's own provider.
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY devstack/oidc ./devstack/oidc
USER node
CMD ["node", "devstack/oidc/provider.mjs"]
