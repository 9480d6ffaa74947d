"""`jim token USER`: print an access token for a user of the dev realm.

It uses the password grant of the public client (enabled in the dev realm only); the dev
users' password is their username, so `jim token alice` needs nothing else.
"""

from __future__ import annotations

import argparse
import sys


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user", help="username in the realm, e.g. alice, bob, carol, admin")
    parser.add_argument("--password", help="defaults to the username (the dev realm's convention)")
    parser.add_argument("--json", action="store_true", help="print Keycloak's whole token response")
    parser.set_defaults(func=cmd_token)


def cmd_token(args: argparse.Namespace) -> int:
    import json

    from keycloak import KeycloakOpenID
    from keycloak.exceptions import (
        KeycloakAuthenticationError,
        KeycloakConnectionError,
        KeycloakError,
    )

    from jim.settings import load
    from proxy.settings import KeycloakSettings

    settings = load(KeycloakSettings)  # type: ignore[type-var]  # needs no DATABASE_URL
    openid = KeycloakOpenID(
        server_url=settings.keycloak_url + "/",
        realm_name=settings.keycloak_realm,
        client_id=settings.keycloak_client_id,
        timeout=10,
    )
    try:
        response = openid.token(args.user, args.password or args.user, scope="openid")
    except KeycloakAuthenticationError:
        print(f"jim: Keycloak refused the credentials of {args.user!r}", file=sys.stderr)
        return 1
    except KeycloakConnectionError:
        print(f"jim: cannot reach Keycloak at {settings.keycloak_url} (is the stack up? ./dev up)", file=sys.stderr)
        return 1
    except KeycloakError as exc:
        print(f"jim: Keycloak error {exc.response_code}: {exc.error_message!r}", file=sys.stderr)
        return 1
    print(json.dumps(response, indent=2) if args.json else response["access_token"])
    return 0
