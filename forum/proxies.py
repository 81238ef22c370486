"""Forwarded headers, believed only from the reverse proxies the operator named.

ProxyFix alone trusts X-Forwarded-For from anyone who reaches gunicorn, so a visitor
talking to it directly could choose the address the rate limits count. Here the headers
are read only when the request's own peer is a configured proxy (TRUSTED_PROXIES).
"""
from __future__ import annotations

import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix


def parse_networks(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """"127.0.0.1, 10.0.0.0/8" → networks; a typo stops the app at start, not at the first request."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in (value or "").split(",") if part.strip()]


class TrustedProxyFix:
    """ProxyFix for requests from a trusted proxy; everyone else is taken at their own address."""

    def __init__(self, app, count: int, trusted: str):
        self.app = app
        self.fixed = ProxyFix(app, x_for=count, x_proto=count, x_host=count)
        self.networks = parse_networks(trusted)

    def trusts(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.trusts(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
