"""The FastAPI endpoint bench/services_compare.py loads, under uvicorn from the `services`
virtualenv: `GET /pk` answers `{"user": "<pk>"}` for the request's user (null for none),
behind djtoken.asgi (`app`, the project's djtoken.toml from $DJTOKEN_CONFIG) or without it
(`bare`, the ceiling the middleware's cost is measured against).
"""

from djtoken.asgi import AuthenticationMiddleware
from fastapi import FastAPI, Request


async def pk(request: Request) -> dict:
    user = request.scope.get("user")
    return {"user": str(user.pk) if user is not None and user.is_authenticated else None}


bare = FastAPI()
bare.add_api_route("/pk", pk)

guarded = FastAPI()
guarded.add_api_route("/pk", pk)
app = AuthenticationMiddleware(guarded)
