-- bench.compiled_sql(query, variables): the statements jim's engine compiles for an operation,
-- with their bound parameters, as the calling role (so RLS-relevant schema and plans are the
-- ones graphql.resolve would use). Installed by the peer benchmark into its own database
-- (jim_bench) only, until the engine offers an official way (see bench-status.md). It reads
-- the engine's host module the way graphql.operation_tables does; if the engine changes
-- shape, the benchmark falls back to the hand-written ceiling and says so.
create schema if not exists bench;
comment on schema bench is 'Helpers of the peer benchmark (bench/peers); only in its own database.';
grant usage on schema bench to anon, authenticated;

create or replace function bench.compiled_sql(query text, variables jsonb default '{}')
  returns jsonb
  language plpython3u volatile
  as $$
import json
host = GD.get("jimgql_host")
if host is None:
    plpy.execute("select graphql._boot()")
    host = GD["jimgql_host"]
if hasattr(host, "Session"):  # the engine's per-backend session object
    session = host.Session(plpy, GD)
    state = session.state()
    session.last = state
    engine = session.engine(state)
else:  # earlier engine versions
    newer, state = host._current(plpy, GD)
    if newer is not None:
        host = newer
    engine = host._engine(plpy, GD, state)
from jimgql.execute import parse_variables
values = parse_variables(variables)
plan = engine.plan(query, None, values)
steps = [{"alias": s.alias, "sql": s.sql, "params": s.bind(values)} for s in plan.steps if s.sql]
return json.dumps({"kind": plan.kind, "statements": steps})
$$;
grant execute on function bench.compiled_sql(text, jsonb) to anon, authenticated;
