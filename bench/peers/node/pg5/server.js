'use strict';
// PostGraphile 5 peer for jim's benchmark (runs on the Node 22 runtime installed in the
// bench cache). Packages come from BENCH_MODULES (the folder holding node_modules).
const http = require('node:http');
const path = require('node:path');
const { createRequire } = require('node:module');
const { makeIdentity, runClustered } = require('../auth.js');

const env = process.env;
const load = createRequire(path.join(env.BENCH_MODULES, 'package.json'));

async function start() {
  const { postgraphile } = load('postgraphile');
  const { PostGraphileAmberPreset } = load('postgraphile/presets/amber');
  const { makePgService } = load('postgraphile/adaptors/pg');
  const { grafserv } = load('postgraphile/grafserv/node');
  const jwt = load('jsonwebtoken');
  const pgSettingsFor = makeIdentity(jwt, env);
  const preset = {
    extends: [PostGraphileAmberPreset],
    pgServices: [
      makePgService({
        connectionString: env.DATABASE_URL,
        poolConfig: { max: Number(env.POOL_SIZE || 10) },
        schemas: ['app'],
        pubsub: false,
      }),
    ],
    grafast: {
      explain: false,
      context(requestContext) {
        const req = requestContext.node && requestContext.node.req;
        return { pgSettings: pgSettingsFor(req && req.headers.authorization) };
      },
    },
    grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false },
  };
  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = http.createServer();
  serv.addTo(server);
  server.listen(Number(env.PORT), '127.0.0.1');
}

runClustered(Number(env.WORKERS || 1), start);
