"""The application: every API's routes and the test controls (/_fake/requests, /_fake/faults, /health)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import anthropic, gemini, openai_chat, responses
from .common import State, read_json

APIS = (openai_chat, anthropic, responses, gemini)


def create_app(state: State) -> Starlette:
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def recorded(request: Request) -> Response:
        if request.method == "DELETE":
            state.requests.clear()
            state.counts.clear()
            state.cached.clear()
            return JSONResponse({"cleared": True})
        return JSONResponse({"requests": list(state.requests), "counts": state.counts})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            state.faults.clear()
        else:
            body = await read_json(request)
            if body is None or not all(isinstance(v, dict) for v in body.values()):
                return openai_chat.error(400, "faults must be a JSON object of model -> fault object")
            state.faults.update(body)
        return JSONResponse({"faults": state.faults})

    routes = [Route(path, handler, methods=methods) for api in APIS for path, handler, methods in api.routes(state)]
    routes += [
        Route("/health", health, methods=["GET"]),
        Route("/_fake/requests", recorded, methods=["GET", "DELETE"]),
        Route("/_fake/faults", faults, methods=["PUT", "DELETE"]),
    ]
    return Starlette(routes=routes)
