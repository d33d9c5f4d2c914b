"""Talking to ServiceTitan's API: where it is and the application key
(``settings``), what it answers when it refuses (``errors``), the
credential's token lifecycle (``tokens``; ``auth``, the httpx flow that
adds it to each request and refreshes it once on a 401), the rate limit
(``limits``), retries (``retries``), the HTTP client (``client``) and the
export feeds it reads (``feeds``).

May import ``platform_db``, ``servicetitan.enums`` and ``servicetitan.tables``.
"""
