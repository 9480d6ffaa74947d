'use strict';
// Request identity for the PostGraphile peers, decided exactly as jim's proxy decides it:
// the same Keycloak access token (RS256, verified against the realm's published keys, with
// the same issuer and audience), the same Postgres role (admin realm role -> admin, any other
// valid token -> authenticated, no token -> anon), and the same `request.jwt.claims` JSON
// (the verified claims plus a "role" claim) that the policies read through auth.jwt().
//
// PostGraphile 4 would otherwise publish claims as `jwt.claims.<name>` settings, which jim's
// policies never read; giving both peers this pgSettings makes the RLS outcome identical.
const crypto = require('node:crypto');

function makeIdentity(jwt, env) {
  const jwks = JSON.parse(env.BENCH_JWKS);
  const keys = new Map();
  for (const jwk of jwks.keys) {
    if (jwk.use && jwk.use !== 'sig') continue;
    keys.set(jwk.kid, crypto.createPublicKey({ key: jwk, format: 'jwk' }));
  }
  const options = {
    algorithms: ['RS256'],
    issuer: env.BENCH_ISSUER,
    audience: env.BENCH_AUDIENCE,
  };

  // Returns the pgSettings for one request; throws on a bad token (the peer answers an error).
  return function pgSettingsFor(authorization) {
    if (!authorization) {
      return { role: 'anon', 'request.jwt.claims': JSON.stringify({ role: 'anon' }) };
    }
    const match = /^Bearer (.+)$/i.exec(authorization);
    if (!match) throw new Error('malformed Authorization header');
    const token = match[1];
    const header = jwt.decode(token, { complete: true })?.header;
    const key = header && keys.get(header.kid);
    if (!key) throw new Error('token signed with an unknown key');
    const claims = jwt.verify(token, key, options);
    const realmRoles = (claims.realm_access && claims.realm_access.roles) || [];
    const role = realmRoles.includes('admin') ? 'admin' : 'authenticated';
    return { role, 'request.jwt.claims': JSON.stringify({ ...claims, role }) };
  };
}

// Fork `workers` processes sharing one port (node:cluster), as jim's proxy runs several
// worker processes: every system gets the same number of processes on the 2 cores.
function runClustered(workers, start) {
  const cluster = require('node:cluster');
  if (cluster.isPrimary && workers > 1) {
    for (let i = 0; i < workers; i++) cluster.fork();
    cluster.on('exit', (worker, code) => {
      console.error(`worker ${worker.process.pid} exited (${code})`);
      process.exit(1);
    });
    const stop = () => {
      for (const id in cluster.workers) cluster.workers[id].kill('SIGTERM');
      process.exit(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  } else {
    start().catch((error) => {
      console.error(error);
      process.exit(1);
    });
  }
}

module.exports = { makeIdentity, runClustered };
