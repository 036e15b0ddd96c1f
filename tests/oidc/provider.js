// A real OpenID Connect provider (the certified `oidc-provider` package) on loopback, for the
// sign-in tests in tests/test_oidc.py and tests/browser/test_oidc.py.
//
//   node tests/oidc/provider.js --port 4000
//
// serves http://127.0.0.1:4000 with discovery, JWKS, authorization (with PKCE required),
// token, userinfo, end-session and dynamic client registration (the tests register a client
// for the redirect URI of their own server). A static client `briefings` (secret
// `briefings-secret`) accepts http://127.0.0.1:5000/login/oidc/callback, for trying the app
// by hand with `make run`.
//
// POST /_test/tamper?mode=MODE alters the ID token of the next token response only, the way
// a forged or misdirected token would look: wrong_audience, wrong_issuer, expired (all
// re-signed with the provider's real key), bad_signature (signed by another key under the
// same key id), alg_none (unsigned), wrong_nonce. Loopback only, tests only.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '4000' } } });
const port = Number(args.port);
const issuer = `http://127.0.0.1:${port}`;
const KID = 'test-signing-key';
const PASSWORD = 'provider-password';

// The people the provider knows. `groups` is the claim OIDC_ROLE_GROUPS maps to roles.
const ACCOUNTS = {
  'ada@example.org': { name: 'Ada Admin', email_verified: true, groups: ['smt-admins', 'all-staff'] },
  'olu@example.org': { name: 'Olu Organiser', email_verified: true, groups: ['briefing-organisers'] },
  'vic@example.org': { name: 'Vic Viewer', email_verified: true, groups: ['all-staff'] },
  'una@example.org': { name: 'Una Unverified', email_verified: false, groups: [] },
  'ext@elsewhere.example': { name: 'Ext Outsider', email_verified: true, groups: [] },
  // A provider can send anything in a claim: markup, control characters, a formula.
  'hostile@example.org': {
    name: '<script>alert(1)</script>\u0007=1+1', email_verified: true, groups: ['=HYPERLINK("x")', 7],
  },
  'bademail@example.org': {
    name: 'Bad Email', email_verified: true, groups: [], email: '<script>alert(1)</script>\u0007@example.org',
  },
  'nomail@example.org': { name: 'No Mail', email_verified: true, groups: [], email: null },
};

async function findAccount(ctx, sub) {
  const account = ACCOUNTS[sub];
  if (!account) return undefined;
  return {
    accountId: sub,
    async claims() {
      const email = account.email === undefined ? sub : account.email;
      return {
        sub,
        name: account.name,
        groups: account.groups,
        ...(email === null ? {} : { email, email_verified: account.email_verified }),
      };
    },
  };
}

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: KID, alg: 'RS256', use: 'sig' };
const evilKey = (await jose.generateKeyPair('RS256')).privateKey;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'briefings',
    client_secret: 'briefings-secret',
    redirect_uris: ['http://127.0.0.1:5000/login/oidc/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1:5000/login'],
  }],
  jwks: { keys: [signingJwk] },
  findAccount,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    // Entra ID sends `groups` without a scope of its own; so does this provider.
    profile: ['name', 'groups'],
  },
  // Scope claims go in the ID token itself, as Entra ID puts them: the app reads only the ID token.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ['loopback-test-provider-cookie-key'] },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // The package's own page loads a web font from the internet; this one needs nothing.
      async logoutSource(ctx, form) {
        ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider: sign out</title></head>
<body><main><h1>Sign out of the test provider?</h1>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button></main></body></html>`;
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // Every client here is first party: the person is never asked to consent.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

// --- forged ID tokens ------------------------------------------------------------------------
const TAMPER_MODES = ['wrong_audience', 'wrong_issuer', 'wrong_nonce', 'expired', 'bad_signature', 'alg_none'];
let tamperMode = null;

async function forge(idToken, mode) {
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  let key = privateKey;
  // Issued to another client, but naming this one as the authorized party: Authlib alone
  // checks only `azp`, so this one is refused only by the app's own audience check.
  if (mode === 'wrong_audience') Object.assign(claims, { aud: 'some-other-client', azp: claims.aud });
  else if (mode === 'wrong_issuer') claims.iss = 'http://127.0.0.1:1';
  else if (mode === 'wrong_nonce') claims.nonce = 'not-the-nonce-the-app-sent';
  else if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  else if (mode === 'bad_signature') key = evilKey;
  else return new jose.UnsecuredJWT(claims).encode();
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: KID }).sign(key);
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route === 'token' && tamperMode && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: await forge(ctx.body.id_token, tamperMode) };
    tamperMode = null;
  }
});

// --- the sign-in page (the provider's side of the interaction) --------------------------------
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, error = '') {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
<body><main><h1>Test provider</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Provider email</label> <input id="login" name="login" type="text" autocomplete="off">
<label for="password">Provider password</label> <input id="password" name="password" type="password">
<button type="submit">Continue</button></form>
<form method="post" action="/interaction/${escape(uid)}/abort"><button type="submit">Cancel</button></form>
</main></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, url) {
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction does not match its cookie');
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(loginPage(uid));
  } else if (action === 'abort') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'The person cancelled signing in',
    }, { mergeWithLastSubmission: false });
  } else {
    const form = await readForm(req);
    const login = form.get('login') || '';
    if (!ACCOUNTS[login] || form.get('password') !== PASSWORD) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(loginPage(uid, 'Unknown login or wrong password'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } },
      { mergeWithLastSubmission: false });
  }
}

const handle = provider.callback();
const server = createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname.startsWith('/interaction/')) {
      await interaction(req, res, url);
    } else if (url.pathname === '/_test/tamper' && req.method === 'POST') {
      const mode = url.searchParams.get('mode');
      if (!TAMPER_MODES.includes(mode)) throw new Error(`unknown tamper mode ${mode}`);
      tamperMode = mode;
      res.writeHead(204).end();
    } else {
      handle(req, res);
    }
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error.message));
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`test OpenID provider listening on ${issuer} (public key ${KID})`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
