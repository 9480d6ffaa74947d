"""The end-to-end stack of the tests: a real `jim proxy` on the test database behind a real
nginx started from the repository's template (deploy/nginx/nginx.conf.template), with the
real Keycloak issuing the tokens."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.deploy.nginx import Nginx, running_nginx
from tests.proxy.servers import REALM_URL, ProxyServer, running_proxy

# The nginx body limit of the session's nginx, and the proxy's own (smaller) one: bodies
# between the two reach the proxy and are refused there.
NGINX_MAX_BODY = "64k"
PROXY_MAX_BODY_BYTES = "20000"


@pytest.fixture(scope="session")
def e2e_proxy(database_url: str) -> Iterator[ProxyServer]:
    try:
        httpx.get(f"{REALM_URL}/.well-known/openid-configuration", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        pytest.fail(f"Keycloak is not reachable at {REALM_URL} ({exc}); ./dev test starts it")
    with running_proxy(database_url, MAX_BODY_BYTES=PROXY_MAX_BODY_BYTES) as server:
        yield server


@pytest.fixture(scope="session")
def front(e2e_proxy: ProxyServer) -> Iterator[Nginx]:
    upstream = e2e_proxy.url.removeprefix("http://")
    with running_nginx(upstream, JIM_NGINX_MAX_BODY=NGINX_MAX_BODY) as nginx:
        yield nginx
