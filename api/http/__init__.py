"""The HTTP edge: app, routes, page, errors, the request guard, uvicorn."""
