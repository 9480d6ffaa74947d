-- Which roles may see which schemas. app is exposed; app_private never is.
grant usage on schema auth to anon, authenticated, admin, worker;
grant execute on all functions in schema auth to anon, authenticated, admin, worker;

grant usage on schema app to anon, authenticated, admin, worker;
revoke all on schema app_private from public;
revoke all on all functions in schema app_private from public;
grant execute on function app.known_metrics() to anon, authenticated, admin, worker;
