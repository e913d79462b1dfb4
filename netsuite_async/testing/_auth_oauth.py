"""The emulator's OAuth 2.0 server: the token, revoke and authorize.nl endpoints (RFC 6749, 7523, 7636, 7009).

Token endpoint errors follow RFC 6749 (``{"error": "invalid_grant"}`` and friends, 400, or 401 for bad client
authentication); NetSuite's exact wording there is not documented, so the emulator only promises the codes.

Examples:
    ```python
    assert redirect_uri_problem("https://example.com/cb") is None
    ```
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from netsuite_async.testing._auth_credentials import (
    ALLOWED_JWT_ALGORITHMS,
    AUTH_CODE_LIFETIME,
    CLIENT_ASSERTION_TYPE,
    KNOWN_SCOPES,
    MAX_ASSERTION_LIFETIME,
    REFRESH_TOKEN_LIFETIME,
    TIMESTAMP_WINDOW,
    AuthKind,
    _AuthCode,
    _IssuedToken,
    _new_secret,
    _RefreshGrant,
)
from netsuite_async.testing._auth_request import (
    RequestAuthenticator,
    _b64url_decode,
    _normalized_base_urls,
    _Rejected,
    _verify_jws_signature,
)

if TYPE_CHECKING:
    from netsuite_async.testing._app import EmuRequest, EmuResponse

__all__ = ["OAuthServer", "redirect_uri_problem"]


class _OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


_NOT_CUSTOM_SCHEMES = frozenset(
    {"http", "ftp", "ftps", "file", "data", "javascript", "about", "blob", "ws", "wss", "mailto", "tel", "urn"}
)


def redirect_uri_problem(uri: str) -> str | None:
    """Why NetSuite would refuse this redirect URI, or None: https, or an app's custom scheme; never plain http.

    Examples:
        ```python
        assert redirect_uri_problem("myapp://callback") is None
        assert redirect_uri_problem("http://localhost/cb") is not None
        ```
    """
    parts = urllib.parse.urlsplit(uri)
    scheme = parts.scheme.lower()
    if not uri or parts.fragment or "#" in uri:
        return "redirect_uri is empty or has a fragment"
    if scheme == "http":
        return "redirect_uri must use https or a custom scheme; plain http is refused"
    if scheme == "https":
        return None if parts.netloc else "redirect_uri has no host"
    if not scheme or scheme in _NOT_CUSTOM_SCHEMES or not (parts.netloc or parts.path):
        return "redirect_uri must be an https URL or use a custom scheme such as myapp://callback"
    return None


class OAuthServer(RequestAuthenticator):
    """The OAuth 2.0 endpoints' handlers and grant bookkeeping (base of `EmulatorAuth`).

    Examples:
        ```python
        router.add("POST", TOKEN_PATH, emu.auth._token_endpoint, public=True)
        ```
    """

    rotate_refresh_tokens: bool | None
    access_token_lifetime: int
    _certificates: dict[str, tuple[str, Any]]
    _auth_code_clients: dict[str, tuple[str | None, str]]
    _refresh_tokens: dict[str, _RefreshGrant]
    _codes: dict[str, _AuthCode]
    before_token: Callable[[], Awaitable[None]] | None
    token_requests: dict[str, int]
    tokens_issued: int

    # -------------------------------------------------------- OAuth 2.0 side
    def _count(self, grant: str) -> None:
        self.token_requests[grant] = self.token_requests.get(grant, 0) + 1

    def _form(self, req: EmuRequest) -> dict[str, str]:
        ctype = req.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" not in ctype:
            raise _OAuthError("invalid_request", "the token endpoint takes a form-encoded body")
        pairs = urllib.parse.parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        form: dict[str, str] = {}
        for k, v in pairs:
            if k in form:
                raise _OAuthError("invalid_request", f"parameter {k} repeated")
            form[k] = v
        return form

    def _oauth_error(self, err: _OAuthError) -> EmuResponse:
        from netsuite_async.testing._app import json_response

        self.last_failure = err.description
        self._bump("auth_failures")
        return json_response({"error": err.error, "error_description": err.description}, status=err.status)

    def _issue_access_token(self, kind: AuthKind, scopes: frozenset[str], subject: str) -> tuple[str, int]:
        token = _new_secret(48)
        lifetime = self.access_token_lifetime
        self._access_tokens[token] = _IssuedToken(kind, scopes, subject, self.now() + lifetime)
        self.tokens_issued += 1
        return token, lifetime

    async def _token_endpoint(self, req: EmuRequest) -> EmuResponse:
        from netsuite_async.testing._app import json_response

        if self.before_token is not None:
            await self.before_token()
        try:
            form = self._form(req)
            grant = form.get("grant_type", "")
            self._count(grant or "<missing>")
            body: Mapping[str, Any]
            if grant == "client_credentials":
                body = self._grant_client_credentials(req, form)
            elif grant == "authorization_code":
                body = self._grant_authorization_code(req, form)
            elif grant == "refresh_token":
                body = self._grant_refresh_token(req, form)
            else:
                raise _OAuthError("unsupported_grant_type", f"grant_type {grant!r} is not supported")
        except _OAuthError as err:
            return self._oauth_error(err)
        return json_response(dict(body), headers={"cache-control": "no-store"})

    def _grant_client_credentials(self, req: EmuRequest, form: Mapping[str, str]) -> dict[str, Any]:
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            raise _OAuthError("invalid_request", "client_assertion_type must be jwt-bearer")
        assertion = form.get("client_assertion", "")
        try:
            client_id, scopes = self._verify_assertion(req, assertion)
        except _Rejected as exc:
            raise _OAuthError("invalid_grant", exc.reason) from exc
        token, lifetime = self._issue_access_token("client_credentials", scopes, client_id)
        return {"access_token": token, "expires_in": str(lifetime), "token_type": "bearer"}

    def _verify_assertion(self, req: EmuRequest, assertion: str) -> tuple[str, frozenset[str]]:
        parts = assertion.split(".")
        if len(parts) != 3:
            raise _Rejected("client_assertion is not a compact JWS")
        try:
            header = json.loads(_b64url_decode(parts[0]))
            claims = json.loads(_b64url_decode(parts[1]))
        except (ValueError, UnicodeDecodeError) as exc:
            raise _Rejected("JWT header or claims are not JSON") from exc
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise _Rejected("JWT header and claims must be objects")
        alg = header.get("alg")
        if alg == "RS256":
            raise _Rejected("RS256 is not accepted; use PS256 or ES256/384/512")
        if alg not in ALLOWED_JWT_ALGORITHMS:
            raise _Rejected(f"alg {alg!r} is not accepted")
        if header.get("typ") != "JWT":
            raise _Rejected("JWT header typ must be JWT")
        kid = header.get("kid")
        registered = self._certificates.get(kid) if isinstance(kid, str) else None
        if registered is None:
            raise _Rejected("kid is not a registered certificate id")
        client_id, public_key = registered
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
        _verify_jws_signature(alg, public_key, signing_input, _b64url_decode(parts[2]))

        if claims.get("iss") != client_id:
            raise _Rejected("iss is not the client id registered for this certificate")
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        expected_aud = _normalized_base_urls(req)
        if not any(a in expected_aud for a in auds):
            raise _Rejected("aud is not this account's token URL")
        scope = claims.get("scope")
        if isinstance(scope, str):
            scope_list = scope.replace(",", " ").split()
        elif isinstance(scope, list) and all(isinstance(s, str) for s in scope):
            scope_list = list(scope)
        else:
            raise _Rejected("scope must be a list of strings")
        if not scope_list or not set(scope_list) <= KNOWN_SCOPES:
            raise _Rejected("scope is empty or names an unknown scope")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)):
            raise _Rejected("iat and exp must be numbers")
        now = self.now()
        if iat > now + TIMESTAMP_WINDOW:
            raise _Rejected("iat is in the future")
        if exp <= now:
            raise _Rejected("assertion has expired")
        if exp - iat > MAX_ASSERTION_LIFETIME or exp <= iat:
            raise _Rejected("exp must be after iat and at most one hour later")
        return client_id, frozenset(scope_list)

    def _client_from_basic(self, req: EmuRequest, form: Mapping[str, str] | None = None) -> str:
        header = req.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if not header and form is not None:
            # A public client has no secret: it names itself with client_id in the form.
            client_id = form.get("client_id", "")
            known = self._auth_code_clients.get(client_id)
            if known is None or known[0] is not None:
                raise _OAuthError("invalid_client", "unknown public client (confidential clients use Basic)", 401)
            return client_id
        if scheme.lower() != "basic":
            raise _OAuthError("invalid_client", "client authentication (Basic) required", 401)
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise _OAuthError("invalid_client", "malformed Basic credentials", 401) from exc
        client_id, sep, secret = decoded.partition(":")
        client_id = urllib.parse.unquote_plus(client_id)
        secret = urllib.parse.unquote_plus(secret)
        known = self._auth_code_clients.get(client_id)
        if not sep or known is None or known[0] is None or not hmac.compare_digest(known[0], secret):
            raise _OAuthError("invalid_client", "unknown client or wrong secret", 401)
        return client_id

    def _is_public(self, client_id: str) -> bool:
        known = self._auth_code_clients.get(client_id)
        return known is not None and known[0] is None

    def _grant_authorization_code(self, req: EmuRequest, form: Mapping[str, str]) -> dict[str, Any]:
        client_id = self._client_from_basic(req, form)
        code = self._codes.pop(form.get("code", ""), None)
        if code is None or code.used or code.client_id != client_id:
            raise _OAuthError("invalid_grant", "unknown, used or foreign authorization code")
        if code.expires_at <= self.now():
            raise _OAuthError("invalid_grant", "authorization code expired")
        if form.get("redirect_uri") != code.redirect_uri:
            raise _OAuthError("invalid_grant", "redirect_uri differs from the authorization request")
        verifier = form.get("code_verifier", "")
        if not 43 <= len(verifier) <= 128:
            raise _OAuthError("invalid_grant", "code_verifier must be 43-128 characters")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
        if not hmac.compare_digest(challenge.rstrip(b"=").decode(), code.code_challenge):
            raise _OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        refresh = _new_secret(48)
        grant = _RefreshGrant(
            client_id, code.scopes, self.now() + REFRESH_TOKEN_LIFETIME, public=self._is_public(client_id)
        )
        self._refresh_tokens[refresh] = grant
        access, lifetime = self._issue_access_token("authorization_code", code.scopes, client_id)
        grant.access_tokens.add(access)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": str(lifetime),
            "token_type": "bearer",
        }

    def _grant_refresh_token(self, req: EmuRequest, form: Mapping[str, str]) -> dict[str, Any]:
        client_id = self._client_from_basic(req, form)
        old = form.get("refresh_token", "")
        grant = self._refresh_tokens.get(old)
        if grant is None or grant.client_id != client_id:
            raise _OAuthError("invalid_grant", "unknown or revoked refresh token")
        if grant.expires_at <= self.now():
            del self._refresh_tokens[old]
            raise _OAuthError("invalid_grant", "refresh token expired; authorize again")
        access, lifetime = self._issue_access_token("authorization_code", grant.scopes, client_id)
        grant.access_tokens.add(access)
        body: dict[str, Any] = {"access_token": access, "expires_in": str(lifetime), "token_type": "bearer"}
        rotate = grant.public if self.rotate_refresh_tokens is None else self.rotate_refresh_tokens
        if rotate:
            new = _new_secret(48)
            del self._refresh_tokens[old]
            self._refresh_tokens[new] = grant
            body["refresh_token"] = new
        return body

    async def _revoke_endpoint(self, req: EmuRequest) -> EmuResponse:
        from netsuite_async.testing._app import EmuResponse as _Response

        try:
            form = self._form(req)
            client_id = self._client_from_basic(req, form)
            token = form.get("token", "")
            grant = self._refresh_tokens.get(token)
            if grant is not None and grant.client_id == client_id:
                del self._refresh_tokens[token]
                for access in grant.access_tokens:
                    self._access_tokens.pop(access, None)
            elif (issued := self._access_tokens.get(token)) is not None and issued.subject == client_id:
                del self._access_tokens[token]
            # RFC 7009 §2.2: unknown tokens are not an error.
        except _OAuthError as err:
            return self._oauth_error(err)
        return _Response(status=200, headers={}, body=b"")

    async def _authorize_endpoint(self, req: EmuRequest) -> EmuResponse:
        from netsuite_async.testing._app import EmuResponse as _Response
        from netsuite_async.testing._app import json_response

        q = dict(req.query)
        client = self._auth_code_clients.get(q.get("client_id", ""))
        redirect_uri = q.get("redirect_uri", "")
        problem_uri = redirect_uri_problem(redirect_uri)
        if client is None or redirect_uri != client[1] or problem_uri is not None:
            # Never redirect to an unverified (or plain http) URI: answer on the page itself.
            self._bump("auth_failures")
            self.last_failure = problem_uri or "unknown client_id or redirect_uri"
            return json_response({"error": "invalid_request", "error_description": self.last_failure}, status=400)
        state = q.get("state", "")

        def redirect(params: Mapping[str, str]) -> EmuResponse:
            sep = "&" if "?" in redirect_uri else "?"
            location = redirect_uri + sep + urllib.parse.urlencode(params)
            return _Response(status=302, headers={"location": location}, body=b"")

        problem = None
        scopes = q.get("scope", "").split()
        if q.get("response_type") != "code":
            problem = ("unsupported_response_type", "response_type must be code")
        elif not 22 <= len(state) <= 1024:
            problem = ("invalid_request", "state must be 22-1024 characters")
        elif q.get("code_challenge_method") != "S256":
            problem = ("invalid_request", "code_challenge_method must be S256")
        elif not 43 <= len(q.get("code_challenge", "")) <= 128:
            problem = ("invalid_request", "code_challenge missing or malformed")
        elif not scopes or not set(scopes) <= KNOWN_SCOPES:
            problem = ("invalid_scope", "scope is empty or unknown")
        if problem is not None:
            self._bump("auth_failures")
            self.last_failure = problem[1]
            out = {"error": problem[0], "error_description": problem[1]}
            if state:
                out["state"] = state
            return redirect(out)

        code = _new_secret(32)
        self._codes[code] = _AuthCode(
            client_id=q["client_id"],
            redirect_uri=redirect_uri,
            code_challenge=q["code_challenge"],
            scopes=frozenset(scopes),
            expires_at=self.now() + AUTH_CODE_LIFETIME,
        )
        # Automatic consent: the emulator plays the user who logs in and clicks "Allow".
        return redirect({"code": code, "state": state, "role": "3", "entity": "-5", "company": self.realm})
