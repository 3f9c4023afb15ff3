"""A real OAuth client library against the service: authlib's OAuth2Session gets a machine
token with the client credentials grant, once with client_secret_basic and once with
client_secret_post, verifies it with authlib's own JOSE code against the JWKS it finds through
RFC 8414 discovery, calls the API with it, introspects and revokes it, and sees a wrong secret
refused as invalid_client.

    python authlib_clients.py BASE CLIENT_ID CLIENT_SECRET

Exits non-zero (an AssertionError or authlib's exception) on the first thing that is not as
the README says.
"""
import sys
import warnings

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client.errors import OAuthError
# authlib 1.x warns that authlib.jose will move to joserfc; it is still its JOSE code.
warnings.filterwarnings("ignore", message=".*authlib.jose module is deprecated.*")
from authlib.jose import JsonWebKey, JsonWebToken  # noqa: E402

TIMEOUT = 10


def main(base, client_id, client_secret):
    discovery = requests.get(f"{base}/.well-known/oauth-authorization-server", timeout=TIMEOUT)
    discovery.raise_for_status()
    meta = discovery.json()
    for method in ("client_secret_basic", "client_secret_post"):
        assert method in meta["token_endpoint_auth_methods_supported"], meta
    assert "client_credentials" in meta["grant_types_supported"], meta
    keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=TIMEOUT).json())

    for method in ("client_secret_basic", "client_secret_post"):
        session = OAuth2Session(
            client_id,
            client_secret,
            token_endpoint_auth_method=method,
            scope="items",
        )
        token = session.fetch_token(
            meta["token_endpoint"], grant_type="client_credentials", timeout=TIMEOUT
        )
        assert token["token_type"].lower() == "bearer", token
        assert token.get("scope") == "items", token
        assert "refresh_token" not in token, token

        # RFC 9068: verified with nothing but the published keys, by another JOSE stack.
        claims = JsonWebToken(["RS256"]).decode(
            token["access_token"],
            keys,
            claims_options={
                "iss": {"essential": True, "value": meta["issuer"]},
                "sub": {"essential": True, "value": client_id},
                "client_id": {"essential": True, "value": client_id},
            },
        )
        claims.validate()
        assert claims["scope"] == "items", claims

        status = session.get(f"{base}/status/", timeout=TIMEOUT)
        assert status.status_code == 200 and status.json() == {"status": "ok"}, status.text
        me = session.get(f"{base}/users/me/", timeout=TIMEOUT)
        assert me.status_code == 403, me.text
        assert me.json()["error"] == "insufficient_scope", me.text

        # RFC 7662 and RFC 7009 through authlib's own client methods.
        answer = session.introspect_token(
            meta["introspection_endpoint"], token=token["access_token"], timeout=TIMEOUT
        ).json()
        assert answer["active"] is True and answer["client_id"] == client_id, answer
        revoked = session.revoke_token(
            meta["revocation_endpoint"], token=token["access_token"], timeout=TIMEOUT
        )
        assert revoked.status_code == 200, revoked.text
        print(f"authlib {method}: machine token for {client_id}, verified, used, introspected")

    wrong = OAuth2Session(client_id, "not-the-secret", token_endpoint_auth_method="client_secret_basic")
    try:
        wrong.fetch_token(meta["token_endpoint"], grant_type="client_credentials", timeout=TIMEOUT)
    except OAuthError as err:
        assert err.error == "invalid_client", err
        print("authlib: a wrong secret is invalid_client")
    else:
        raise AssertionError("a wrong secret got a token")


if __name__ == "__main__":
    main(*sys.argv[1:4])
