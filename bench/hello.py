"""The framework's floor: a bare Litestar app with one handler returning a short text/plain body.

Served by bench/catalogue.py the way `events serve --workers 1 --quiet` serves the real app
(uvicorn with its standard extras, i.e. uvloop + httptools, access log off, log level warning):

    .venv/bin/python -m uvicorn hello:app --app-dir bench --port 8001 \
        --log-level warning --no-access-log --proxy-headers
"""

from __future__ import annotations

from litestar import Litestar, MediaType, get


@get("/", media_type=MediaType.TEXT)
async def hello() -> str:
    return "hello"


app = Litestar([hello])
