"""GitHub failures as one line an operator can act on: host, status, GitHub's own message, a hint.

Why: `GitHub unreachable: ClientConnectorDNSError` or a bare `401` send the operator to the
source code. The line keeps what GitHub said ("A JSON web token could not be decoded") and adds
the usual cause (the App ID and private key of two different Apps).
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

import aiohttp
import gidgethub

_MAX_MESSAGE = 300


def host_of(url: str) -> str:
    return urlsplit(url).netloc or url


def _hint(status: int, message: str, request: str) -> str:
    if status == 401:
        return "check that GITHUB_APP_ID and the private key belong to the same App, and the key was not deleted"
    if status == 403 and "not accessible by integration" in message.lower():
        return ("the App lacks a permission this needs: compare its permissions with the README's list "
                "(an installation must also accept new permissions)")
    if status == 404 and "/installations/" in request:
        return "the App is not installed on that account (or was uninstalled), or GITHUB_APP_ID names another App"
    if status == 404:
        return "not there, or the App cannot see it (is the repository in the installation's selection?)"
    if status == 422:
        return "GitHub refused what was sent"
    if status >= 500:
        return "GitHub is having trouble; retried with backoff"
    return ""


def explain_http(exc: gidgethub.HTTPException, host: str, request: str = "") -> str:
    """`api.github.com answered 401 to POST /app/installations/1/access_tokens: <GitHub's message> (hint)`."""
    status = int(exc.status_code)
    message = " ".join(str(exc).split())[:_MAX_MESSAGE]
    line = f"{host} answered {status}" + (f" to {request}" if request else "")
    if message and message != str(status):
        line += f": {message}"
    hint = _hint(status, message, request)
    return f"{line} ({hint})" if hint else line


def explain_unreachable(exc: BaseException, host: str) -> str:
    """Why a request never got an answer, naming the host (DNS, refused connection, TLS, timeout)."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"GitHub unreachable: cannot resolve {host} (check GITHUB_API_URL and this machine's DNS)"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError) or isinstance(exc, ssl.SSLError):
        return f"GitHub unreachable: {host}'s TLS certificate is not trusted here"
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or type(exc.os_error).__name__
        return f"GitHub unreachable: cannot connect to {host} ({reason}; check GITHUB_API_URL and any proxy)"
    if isinstance(exc, asyncio.TimeoutError):
        return f"GitHub unreachable: {host} did not answer in time"
    return f"GitHub unreachable: {host}: {type(exc).__name__}"
