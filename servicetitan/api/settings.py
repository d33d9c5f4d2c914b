"""Where ServiceTitan is for a credential, and the application key every
API call carries.

ServiceTitan's hosts depend on the credential's environment (production or
integration). ``SERVICETITAN_AUTH_URL`` and ``SERVICETITAN_API_URL``
override them, for a proxy or a local fake ServiceTitan
(``python -m servicetitan.fake``). ``SERVICETITAN_APP_KEY`` is the
application's key (``ST-App-Key``: one per application, not per tenant),
required for any call and never printed: this object's repr leaves it out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from servicetitan.api.errors import NotConfigured

APP_KEY_VARIABLE = "SERVICETITAN_APP_KEY"
AUTH_URL_VARIABLE = "SERVICETITAN_AUTH_URL"
API_URL_VARIABLE = "SERVICETITAN_API_URL"

# environment -> (auth host, API host)
HOSTS = {
    "production": ("https://auth.servicetitan.io", "https://api.servicetitan.io"),
    "integration": (
        "https://auth-integration.servicetitan.io",
        "https://api-integration.servicetitan.io",
    ),
}
TOKEN_PATH = "/connect/token"

# ServiceTitan may take up to 100 s to answer an API request; a token
# request is quick. Connecting is quick everywhere.
API_TIMEOUT = httpx.Timeout(110.0, connect=10.0)
TOKEN_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def _url(variable: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise NotConfigured(f"{variable} must be an http(s) URL such as https://host:port")
    return value.rstrip("/")


@dataclass(frozen=True)
class ApiSettings:
    auth_url: str
    api_url: str
    app_key: str = field(repr=False)
    timeout: httpx.Timeout = field(default_factory=lambda: API_TIMEOUT)
    token_timeout: httpx.Timeout = field(default_factory=lambda: TOKEN_TIMEOUT)

    @classmethod
    def for_environment(cls, environment: str, env: Mapping[str, str] = os.environ) -> ApiSettings:
        """The settings for a credential of ``environment`` from ``env``
        (raises ``NotConfigured`` in one line naming what is missing)."""
        app_key = env.get(APP_KEY_VARIABLE, "").strip()
        if not app_key:
            raise NotConfigured(
                f"{APP_KEY_VARIABLE} is not set: every ServiceTitan API call needs the "
                "application's key (ST-App-Key, from ServiceTitan's developer portal)"
            )
        if environment not in HOSTS:
            raise NotConfigured(f"no ServiceTitan hosts for the environment {environment!r}")
        auth, api = HOSTS[environment]
        return cls(
            auth_url=_url(AUTH_URL_VARIABLE, env.get(AUTH_URL_VARIABLE) or auth),
            api_url=_url(API_URL_VARIABLE, env.get(API_URL_VARIABLE) or api),
            app_key=app_key,
        )

    @property
    def token_url(self) -> str:
        return self.auth_url + TOKEN_PATH
