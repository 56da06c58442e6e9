"""The ASGI application for servers: ``uvicorn healthbridge.asgi:app``."""

from healthbridge.api import create_app

app = create_app()
