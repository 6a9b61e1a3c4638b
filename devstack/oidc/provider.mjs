// The local OpenID Connect provider of `make run` and `make test`: node's oidc-provider (a
// certified OpenID Provider library) with the demo users of devstack/oidc/users.json.
//
// It issues what the trust's provider would: authorization code + PKCE for the portal (a
// confidential client), RS256-signed JWT access tokens for the platform's API audience carrying
// the user's roles, email and name, and RP-initiated sign-out. Its signing keys come from
// WTGR_OIDC_JWKS_FILE (a private JWKS devstack writes once per env), so tokens stay valid across
// restarts; the services fetch the public half from /jwks. Sessions and grants live in memory.
//
// Settings (all set by devstack from the env file): WTGR_OIDC_PORT, WTGR_OIDC_ISSUER,
// WTGR_OIDC_JWKS_FILE, WTGR_OIDC_COOKIE_KEY, WTGR_OIDC_AUDIENCE, WTGR_OIDC_CLIENT_ID,
// WTGR_OIDC_CLIENT_SECRET, WTGR_OIDC_REDIRECT_URIS and WTGR_OIDC_POST_LOGOUT_REDIRECT_URIS
// (comma-separated), WTGR_OIDC_USERS_FILE, WTGR_OIDC_ACCESS_TOKEN_TTL (seconds), WTGR_OIDC_RESOURCE,
// WTGR_OIDC_LISTEN (the address to listen on, 127.0.0.1 unless set).
import { readFileSync } from 'node:fs';
import { timingSafeEqual, createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import Provider, { errors } from 'oidc-provider';

const here = dirname(fileURLToPath(import.meta.url));
const env = (name, fallback) => {
  const value = (process.env[name] || '').trim();
  if (value) return value;
  if (fallback === undefined) throw new Error(`${name} is not set`);
  return fallback;
};
const list = (name) => env(name).split(',').map((s) => s.trim()).filter(Boolean);

const port = Number(env('WTGR_OIDC_PORT'));
const issuer = env('WTGR_OIDC_ISSUER', `http://127.0.0.1:${port}`);
const audience = env('WTGR_OIDC_AUDIENCE', 'wtgr-platform');
// The resource indicator (RFC 8707, an absolute URI) the platform's API is known by; its tokens carry
// `audience` as their aud.
const resource = env('WTGR_OIDC_RESOURCE', 'urn:wtgr:platform-api');
const accessTokenTtl = Number(env('WTGR_OIDC_ACCESS_TOKEN_TTL', '3600'));
const users = JSON.parse(readFileSync(env('WTGR_OIDC_USERS_FILE', join(here, 'users.json')), 'utf8')).users;
const jwks = JSON.parse(readFileSync(env('WTGR_OIDC_JWKS_FILE'), 'utf8'));

const digest = (text) => createHash('sha256').update(String(text)).digest();
const passwordMatches = (user, given) => timingSafeEqual(digest(user.password), digest(given));
const byId = (id) => users.find((user) => user.username === id);

const SCOPES = 'openid email profile roles';

const configuration = {
  clients: [{
    client_id: env('WTGR_OIDC_CLIENT_ID'),
    client_secret: env('WTGR_OIDC_CLIENT_SECRET'),
    client_name: 'WTGR portal',
    redirect_uris: list('WTGR_OIDC_REDIRECT_URIS'),
    post_logout_redirect_uris: list('WTGR_OIDC_POST_LOGOUT_REDIRECT_URIS'),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks,
  cookies: { keys: [env('WTGR_OIDC_COOKIE_KEY')] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'roles'],
  claims: { email: ['email', 'email_verified'], profile: ['name'], roles: ['roles'] },
  conformIdTokenClaims: false,
  ttl: { AccessToken: accessTokenTtl, IdToken: accessTokenTtl, Session: 8 * 3600, Grant: 8 * 3600, Interaction: 3600 },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api', audience, accessTokenTTL: accessTokenTtl, accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  // First-party client: the person consents by signing in, so a grant is made, not asked for.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(SCOPES);
    grant.addOIDCClaims(['email', 'email_verified', 'name', 'roles']);
    grant.addResourceScope(resource, 'api');
    await grant.save();
    return grant;
  },
  async findAccount(_ctx, id) {
    const user = byId(id);
    if (!user) return undefined;
    return { accountId: id, claims: async () => claimsOf(user) };
  },
  async extraTokenClaims(_ctx, token) {
    const user = token.kind === 'AccessToken' ? byId(token.accountId) : undefined;
    if (!user) return undefined;
    const { email, name, roles } = claimsOf(user);
    return { email, name, roles };
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError,
};

function claimsOf(user) {
  return { sub: user.username, email: user.email, email_verified: true, name: user.name, roles: user.roles };
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} – WTGR sign-in (development provider)</title>
<link rel="stylesheet" href="/assets/provider.css"></head>
<body><main id="main"><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

function loginForm(uid, error) {
  const rows = users.map((u) => `<tr><td>${escape(u.username)}</td><td>${escape(u.name)}</td><td>${escape(u.roles.join(', '))}</td></tr>`).join('');
  return page('Sign in to WTGR', `
<p>This is the development identity provider. The trust's own sign-in replaces it in production.</p>
${error ? `<p class="error" role="alert" id="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
  <label for="username">Username</label>
  <input id="username" name="username" type="text" autocapitalize="none" spellcheck="false" required ${error ? 'aria-describedby="error"' : ''}>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" required>
  <button type="submit">Sign in</button>
</form>
<table><caption>Demo users (password in <code>devstack info</code>)</caption>
<thead><tr><th scope="col">Username</th><th scope="col">Name</th><th scope="col">Roles</th></tr></thead><tbody>${rows}</tbody></table>`);
}

async function logoutSource(ctx, form) {
  ctx.body = page('Sign out of WTGR', `${form}
<p>Sign out of the WTGR identity provider as well as the portal?</p>
<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>`);
}

async function postLogoutSuccessSource(ctx) {
  ctx.body = page('You have signed out', '<p>You have signed out of WTGR.</p>');
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  ctx.body = page('Sign-in problem', `<p>${escape(out.error)}: ${escape(out.error_description || '')}</p>`);
}

const STYLE = `body{font-family:Arial,sans-serif;margin:2rem auto;max-width:40rem;padding:0 1rem;color:#212b32}
label{display:block;font-weight:bold;margin-top:1rem}input{font-size:1.1rem;padding:.4rem;width:100%;max-width:20rem;border:2px solid #4c6272}
input:focus,button:focus{outline:3px solid #ffeb3b;box-shadow:0 4px 0 #212b32}
button{margin:1.5rem .5rem 0 0;font-size:1.1rem;padding:.6rem 1rem;background:#007f3b;color:#fff;border:0;cursor:pointer}
button.secondary{background:#4c6272}.error{color:#d5281b;font-weight:bold}table{margin-top:2rem;border-collapse:collapse}
td,th{border-bottom:1px solid #d8dde0;padding:.3rem .8rem .3rem 0;text-align:left}caption{text-align:left;font-weight:bold}`;

const provider = new Provider(issuer, configuration);
provider.proxy = false;

async function formBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16384) throw new errors.InvalidRequest('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// The sign-in pages: GET /interaction/:uid shows the form, POST .../login checks the password.
provider.use(async (ctx, next) => {
  if (ctx.path === '/assets/provider.css') {
    ctx.type = 'text/css';
    ctx.body = STYLE;
    return undefined;
  }
  const match = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return next();
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Content-Security-Policy', "default-src 'self'; form-action 'self' http://127.0.0.1:*; frame-ancestors 'none'");
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== match[1]) throw new errors.SessionNotFound('interaction mismatch');
  if (ctx.method === 'GET' && !match[2]) {
    if (details.prompt.name === 'login') {
      ctx.type = 'html';
      ctx.body = loginForm(details.uid);
      return undefined;
    }
    // consent: granted by loadExistingGrant; finish the interaction
    return provider.interactionFinished(ctx.req, ctx.res, {}, { mergeWithLastSubmission: true });
  }
  if (ctx.method === 'POST' && match[2]) {
    const form = await formBody(ctx.req);
    const user = byId(form.get('username') || '');
    if (!user || !passwordMatches(user, form.get('password') || '')) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginForm(details.uid, 'The username or password is not right.');
      return undefined;
    }
    return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: user.username } },
      { mergeWithLastSubmission: false });
  }
  ctx.status = 405;
  return undefined;
});

const host = env('WTGR_OIDC_LISTEN', '127.0.0.1');
provider.listen(port, host, () => {
  console.log(`oidc-provider ${issuer} listening on ${host}:${port} with ${users.length} demo users`);
});
