'use strict';
// PostGraphile 4 peer for jim's benchmark. Installed packages live in the bench cache
// (BENCH_MODULES, the folder holding node_modules); this file only wires them together.
const http = require('node:http');
const path = require('node:path');
const { createRequire } = require('node:module');
const { makeIdentity, runClustered } = require('../auth.js');

const env = process.env;
const load = createRequire(path.join(env.BENCH_MODULES, 'package.json'));

async function start() {
  const { postgraphile } = load('postgraphile');
  const { Pool } = load('pg');
  const jwt = load('jsonwebtoken');
  const pgSettingsFor = makeIdentity(jwt, env);
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: Number(env.POOL_SIZE || 10) });
  const middleware = postgraphile(pool, ['app'], {
    pgSettings: (req) => pgSettingsFor(req.headers.authorization),
    graphqlRoute: '/graphql',
    graphiql: false,
    disableQueryLog: true,
    watchPg: false,
    retryOnInitFail: false,
    setofFunctionsContainNulls: false,
    ignoreRBAC: false,
    enableQueryBatching: false,
    extendedErrors: ['errcode'],
  });
  http.createServer(middleware).listen(Number(env.PORT), '127.0.0.1');
}

runClustered(Number(env.WORKERS || 1), start);
