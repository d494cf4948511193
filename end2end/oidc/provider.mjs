// A real OpenID provider for the tests (npm oidc-provider 9.x), on loopback,
// with one confidential client and test accounts whose claims are known.
//
//   node oidc/provider.mjs --port 4600 --client-id roster --client-secret S \
//     --redirect-uri http://127.0.0.1:3100/sso/callback [--redirect-uri ...] \
//     [--match-email sso.match@example.com] [--account ada:ada@example.com:true ...] \
//     [--id-token-ttl 3600]
//
// Prints "ready http://127.0.0.1:<port>" (the issuer) on stdout once listening
// (oidc-provider might print NOTICE lines there too: look for the line that
// starts with "ready"); stops on SIGTERM/SIGINT. Discovery:
// <issuer>/.well-known/openid-configuration. --id-token-ttl (seconds, default
// 3600) sets the ID token's exp - iat; authorization codes live 60 s.
//
// Client: confidential, registered as client_secret_basic (oidc-provider
// takes client_secret_post too), grant authorization_code, response type
// code, PKCE required (S256 only), scopes "openid email profile". The ID
// token is signed RS256 with a key generated at start (a restart means a new
// key) and carries sub, email, email_verified and name itself (as Google,
// Entra and Keycloak do), plus nonce. Consent is granted automatically.
//
// Accounts (login → claims), sub is "sub-<login>":
//   match       email = --match-email, email_verified true, name "Sam Match"
//   other       someone.else@example.com, email_verified true, name "Someone Else"
//   unverified  email = --match-email, email_verified false, name "Una Verified"
//   --account login:email:verified   more, e.g. ada:ada@example.com:true
//
// Sign-in, step by step (every authorization request shows the form, even if
// the browser signed in before, so one browser can try several accounts):
//   1. GET <authorization_endpoint = issuer/auth>?...  → 303 to /interaction/<uid>
//   2. GET /interaction/<uid>: a page titled "Sign in to the test provider"
//      with one form, POST to /interaction/<uid>/login:
//        <label for="login">Username</label>
//        <input id="login" name="login" type="text">   (no password)
//        <button type="submit">Sign in</button>
//      and a second form, POST to /interaction/<uid>/abort, with
//        <button type="submit">Cancel</button>   (→ error=access_denied)
//      An unknown username shows the form again with "Unknown user: <name>".
//   3. POST login=<login> → 303 to /auth/<uid> → 303 to
//      <redirect_uri>?code=...&state=...&iss=<issuer>
// Cookies (_interaction, _interaction_resume, _session) carry the flow, so a
// script must keep cookies between the steps.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

// Two warnings are expected here and would repeat for every test: the
// in-memory storage (wanted: nothing outlives the process) and Node 20 (the
// Debian release this project uses; oidc-provider 9 asks for Node 22 LTS but
// runs). Other warnings still show. Hence the import after the filter.
const quiet = /in-memory adapter is used|Unsupported runtime/;
const warn = console.warn;
console.warn = (...args) => { if (!quiet.test(String(args[0]))) warn(...args); };
const { default: Provider, interactionPolicy } = await import('oidc-provider');

const { values: opt } = parseArgs({
  options: {
    port: { type: 'string', default: '4600' },
    'client-id': { type: 'string', default: 'roster' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'match-email': { type: 'string', default: 'sso.match@example.com' },
    account: { type: 'string', multiple: true, default: [] },
    'id-token-ttl': { type: 'string', default: '3600' },
  },
});
if (!opt['client-secret'] || opt['redirect-uri'].length === 0) {
  console.error('provider: --client-secret and at least one --redirect-uri are required');
  process.exit(2);
}
const port = Number(opt.port);
const issuer = `http://127.0.0.1:${port}`;

const accounts = new Map([
  ['match', { email: opt['match-email'], email_verified: true, name: 'Sam Match' }],
  ['other', { email: 'someone.else@example.com', email_verified: true, name: 'Someone Else' }],
  ['unverified', { email: opt['match-email'], email_verified: false, name: 'Una Verified' }],
]);
for (const spec of opt.account) {
  const [login, email, verified] = spec.split(':');
  if (!login || !email || !['true', 'false'].includes(verified)) {
    console.error(`provider: --account wants login:email:true|false, not "${spec}"`);
    process.exit(2);
  }
  accounts.set(login, { email, email_verified: verified === 'true', name: login });
}
// The account id is the subject, "sub-<login>".
const findAccount = (_ctx, sub) => {
  const account = sub.startsWith('sub-') && accounts.get(sub.slice(4));
  return account ? { accountId: sub, claims: () => ({ sub, ...account }) } : undefined;
};

// Ask for the login form on every authorization request, however fresh the
// provider's session: satisfied only by the login just made in this flow.
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'fresh_login', 'each test sign-in shows the form',
  (ctx) => (ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT
    : interactionPolicy.Check.REQUEST_PROMPT),
));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const provider = new Provider(issuer, {
  clients: [{
    client_id: opt['client-id'],
    client_secret: opt['client-secret'],
    redirect_uris: opt['redirect-uri'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  findAccount,
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile'],
  responseTypes: ['code'],
  conformIdTokenClaims: false, // the scopes' claims in the ID token, not only at userinfo
  pkce: { required: () => true },
  ttl: { // seconds
    AuthorizationCode: 60, IdToken: Number(opt['id-token-ttl']), AccessToken: 600,
    Interaction: 600, Session: 600, Grant: 600,
  },
  features: { devInteractions: { enabled: false } },
  interactions: { policy, url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // First-party client: grant the requested scopes without a consent page.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
provider.on('server_error', (_ctx, err) => console.error('provider: server_error', err));

const html = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (uid, client, error) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to the test provider</title></head>
<body>
<h1>Sign in to the test provider</h1>
<p>Client: ${html(client)}. Test accounts: ${[...accounts.keys()].map(html).join(', ')}.</p>
${error ? `<p role="alert">${html(error)}</p>` : ''}
<form method="post" action="/interaction/${html(uid)}/login">
  <label for="login">Username</label>
  <input id="login" name="login" type="text" autocomplete="off" required autofocus>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${html(uid)}/abort">
  <button type="submit">Cancel</button>
</form>
</body></html>`;

const readForm = async (req) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
};

async function interaction(req, res, path) {
  const [, uid, action] = path.split('/').filter(Boolean); // interaction/<uid>[/<action>]
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET' && !action) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(page(uid, details.params.client_id));
  } else if (req.method === 'POST' && action === 'login') {
    const login = ((await readForm(req)).get('login') ?? '').trim();
    if (!accounts.has(login)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(page(uid, details.params.client_id, `Unknown user: ${login}`));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: `sub-${login}` } },
      { mergeWithLastSubmission: false });
  } else if (req.method === 'POST' && action === 'abort') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'The user cancelled the sign-in',
    }, { mergeWithLastSubmission: false });
  } else {
    res.writeHead(404).end('not found');
  }
}

const oidc = provider.callback();
const server = createServer((req, res) => {
  const path = new URL(req.url, issuer).pathname;
  if (!path.startsWith('/interaction/')) return oidc(req, res);
  interaction(req, res, path).catch((err) => {
    if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`Sign-in failed: ${err.message}`);
  });
});
server.on('error', (e) => { console.error('provider:', e.message); process.exit(1); });
server.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => { server.close(() => process.exit(0)); server.closeAllConnections(); });
}
