"""GraphiQL at /graphiql, served entirely by the proxy (no CDN: it works offline).

GraphiQL's and React's browser bundles are fetched from the npm registry by
`./dev install` (scripts/services/proxy.sh) into GRAPHIQL_ASSETS_DIR; they are never
committed. The page lets a user sign in through Keycloak (authorization code + PKCE, the
app's own flow), pick a dev user (password grant, dev realm only), or paste a token.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

ASSETS = {
    "react.production.min.js": "application/javascript",
    "react-dom.production.min.js": "application/javascript",
    "graphiql.min.js": "application/javascript",
    "graphiql.min.css": "text/css",
}
DEV_USERS = ("alice", "bob", "carol", "admin")

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>jim · GraphiQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/graphiql/assets/graphiql.min.css">
<style>
 body { margin: 0; height: 100vh; display: flex; flex-direction: column; font: 14px sans-serif; }
 #bar { display: flex; gap: .5em; align-items: center; padding: .4em .8em; background: #1b2240; color: #fff; }
 #bar input { flex: 1; min-width: 10em; } #who { font-weight: bold; } #graphiql { flex: 1; }
</style></head>
<body>
<div id="bar">
  <span>jim</span><span>as <span id="who">anonymous</span></span>
  <select id="devuser"><option value="">dev user…</option>__OPTIONS__</select>
  <button id="login">Sign in with Keycloak</button>
  <input id="paste" placeholder="…or paste an access token">
  <button id="use">Use token</button><button id="logout">Sign out</button>
</div>
<div id="graphiql">Loading…</div>
<script id="jim-config" type="application/json">__CONFIG__</script>
<script src="/graphiql/assets/react.production.min.js"></script>
<script src="/graphiql/assets/react-dom.production.min.js"></script>
<script src="/graphiql/assets/graphiql.min.js"></script>
<script>
(function () {
  const cfg = JSON.parse(document.getElementById('jim-config').textContent);
  const oidc = cfg.realmUrl + '/protocol/openid-connect';
  const home = location.origin + location.pathname;
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const claims = (t) => { try { return JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))); } catch (e) { return null; } };
  function setToken(t) {
    if (t) sessionStorage.setItem('jim.token', t); else sessionStorage.removeItem('jim.token');
    const c = t && claims(t);
    document.getElementById('who').textContent = c ? (c.preferred_username || c.sub) : 'anonymous';
  }
  async function tokenRequest(form) {
    const r = await fetch(oidc + '/token', { method: 'POST', body: new URLSearchParams(form) });
    const body = await r.json();
    if (!r.ok) { alert('Keycloak refused: ' + (body.error_description || body.error)); return; }
    setToken(body.access_token);
  }
  document.getElementById('devuser').onchange = (e) => {
    const u = e.target.value; e.target.value = '';
    if (u) tokenRequest({ grant_type: 'password', client_id: cfg.clientId, username: u, password: u, scope: 'openid' });
  };
  document.getElementById('login').onclick = async () => {
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    sessionStorage.setItem('jim.pkce', JSON.stringify({ verifier, state }));
    location.href = oidc + '/auth?' + new URLSearchParams({ client_id: cfg.clientId, response_type: 'code',
      scope: 'openid', redirect_uri: home, state, code_challenge: challenge, code_challenge_method: 'S256' });
  };
  document.getElementById('use').onclick = () => { setToken(document.getElementById('paste').value.trim()); document.getElementById('paste').value = ''; };
  document.getElementById('logout').onclick = () => setToken(null);
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem('jim.pkce') || 'null');
  if (params.get('code') && pending && params.get('state') === pending.state) {
    sessionStorage.removeItem('jim.pkce');
    history.replaceState(null, '', home);
    tokenRequest({ grant_type: 'authorization_code', client_id: cfg.clientId, code: params.get('code'),
      redirect_uri: home, code_verifier: pending.verifier });
  }
  setToken(sessionStorage.getItem('jim.token'));
  const fetcher = async (params) => {
    const token = sessionStorage.getItem('jim.token');
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    const r = await fetch(cfg.endpoint, { method: 'POST', headers, body: JSON.stringify(params) });
    return r.json();
  };
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher, defaultEditorToolbarTabs: 'headers', defaultQuery: cfg.defaultQuery }));
})();
</script>
</body></html>
"""

DEFAULT_QUERY = """# Pick a dev user above (alice, bob, carol, admin) or sign in, then run:
{
  exerciseCollection(first: 5) {
    edges { node { name category metrics } }
  }
}
"""


def page(realm_url: str, client_id: str, endpoint: str = "/graphql") -> str:
    config = {"realmUrl": realm_url, "clientId": client_id, "endpoint": endpoint, "defaultQuery": DEFAULT_QUERY}
    # </ cannot close the script element early: JSON escapes it.
    config_json = json.dumps(config).replace("</", "<\\/")
    options = "".join(f"<option>{html.escape(u)}</option>" for u in DEV_USERS)
    return _PAGE.replace("__OPTIONS__", options).replace("__CONFIG__", config_json)


def content_security_policy(body: str, realm_url: str) -> str:
    """Only our own assets, our one inline script (by hash) and Keycloak for sign-in."""
    hashes = []
    for script in re.findall(r"<script>(.*?)</script>", body, flags=re.S):
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    keycloak = re.match(r"^https?://[^/]+", realm_url)
    origin = keycloak.group(0) if keycloak else ""
    return "; ".join([
        "default-src 'none'",
        f"script-src 'self' {' '.join(hashes)}",
        "style-src 'self' 'unsafe-inline'",  # GraphiQL sets inline styles
        "img-src 'self' data:",
        "font-src 'self' data:",
        f"connect-src 'self' {origin}",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        f"form-action 'self' {origin}",
    ])


def routes(assets_dir: Path, realm_url: str, client_id: str) -> list[Route]:
    body = page(realm_url, client_id)
    headers = {"Content-Security-Policy": content_security_policy(body, realm_url)}

    async def graphiql(request: Request) -> Response:
        return HTMLResponse(body, headers=headers)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        media_type = ASSETS.get(name)
        path = assets_dir / name
        if media_type is None:
            return Response("not found", status_code=404)
        if not path.is_file():
            return Response(
                f"GraphiQL asset {name} is missing from {assets_dir}; run ./dev install",
                status_code=503,
            )
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})

    return [
        Route("/graphiql", graphiql, methods=["GET"]),
        Route("/graphiql/assets/{name}", asset, methods=["GET"]),
    ]
