"""How an attachment leaves the workspace: always as a download, never rendered by the browser.

The bytes go out as `application/octet-stream` with `nosniff`, `Content-Disposition:
attachment` (an HTML or SVG file a customer sent cannot run in our origin) and a sandboxing
CSP in case a browser opens it anyway. The filename is sanitised again (it is customer text)
and sent twice, per RFC 6266: an ASCII fallback and the UTF-8 name (RFC 5987 `filename*`).
Inline `cid:` images of an HTML mail are the one exception, served as pictures of a raster
type only (see gateway/web/thread.py).
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from gateway.parsing.body import sanitise_filename

# For anything we serve that is not one of our pages: nothing in it may run or load.
SANDBOX_CSP = "default-src 'none'; sandbox"


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    name = sanitise_filename(filename) or "attachment"
    fallback = "".join(ch if " " <= ch < "\x7f" and ch not in '"\\%' else "_" for ch in name)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(filename: str, content: bytes) -> web.Response:
    return web.Response(
        body=content,
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Disposition": content_disposition(filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": SANDBOX_CSP,
            "Cache-Control": "private, no-store",
        },
    )


def inline_picture(content_type: str, content: bytes) -> web.Response:
    """A raster image for an `<img>` of the HTML view (thread.INLINE_IMAGE_TYPES only)."""
    return web.Response(
        body=content,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": "inline",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": SANDBOX_CSP,
            "Cache-Control": "private, no-store",
        },
    )


def size_text(size: int) -> str:
    """1 234 bytes, 12.3 KiB, 4.5 MiB: for the attachment list."""
    if size < 1024:
        return f"{size} bytes" if size != 1 else "1 byte"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"
