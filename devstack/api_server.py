"""`chalice local`, with a listen backlog that takes a burst of connections as API Gateway does, and problem
documents for the methods it does not route.

Chalice's local server keeps socketserver's default backlog of 5: the sixth simultaneous connection is reset. Its
request handler answers a method it has no ``do_<METHOD>`` for (TRACE, CONNECT, any other token) with an HTML 501;
here it is a ``405`` problem document naming the methods the path has, as the app answers a known method that
the path does not take.

Chalice sets the stage's environment from .chalice/config.json over the process's before it imports the app. The
variables the stack names in ``LOCAL_STACK_VARIABLES`` keep the stack's values, as infra/merge.py's values replace the
config's in AWS: the local stage's empty ``PUBLIC_BASE_URL`` gives way to the address the API is served at.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, MutableMapping
from typing import Any

from chalice import local
from chalice.cli import main
from chalice.cli.factory import CLIFactory

from chalicelib.http.problems import status_problem

BACKLOG = 256
# Comma-separated names of the variables whose values the stack gives and the stage's config must not replace.
LOCAL_STACK_VARIABLES = "LOCAL_STACK_VARIABLES"
LoadApp = Callable[..., Any]


class ProblemRequestHandler(local.ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
        self._routes = local.RouteMatcher(list(app_object.routes))
        self._methods: dict[str, list[str]] = {path: list(methods) for path, methods in app_object.routes.items()}
        super().__init__(request, client_address, server, app_object, config)

    def __getattr__(self, name: str) -> Callable[[], None]:
        # BaseHTTPRequestHandler looks up do_<METHOD> for every request; the methods Chalice routes are defined.
        if name.startswith("do_"):
            return self._method_not_allowed
        raise AttributeError(name)

    def _method_not_allowed(self) -> None:
        self._parse_payload()  # read the body, so the connection can carry the next request
        try:
            allowed = self._methods[self._routes.match_route(str(self.path)).route]
        except ValueError:
            allowed = []
        allow = ", ".join(allowed)
        detail = f"This method is not allowed on this path; allowed: {allow or 'none'}."
        answer = status_problem(405, detail, {"Allow": allow}).to_dict()
        headers: dict[str, Any] = {**answer["headers"], **answer["multiValueHeaders"]}
        body = answer["body"] if isinstance(answer["body"], str) else json.dumps(answer["body"])
        self._send_http_response(405, headers, body)


def create_local_server(app_obj: Any, config: Any, host: str, port: int) -> local.LocalDevServer:
    server = chalice_local_server(app_obj, config, host, port)
    server.server.RequestHandlerClass = functools.partial(ProblemRequestHandler, app_object=app_obj, config=config)
    return server


def stack_values_first(load_chalice_app: LoadApp) -> LoadApp:
    """``CLIFactory.load_chalice_app`` applying the stage's environment except the variables the stack gives."""

    @functools.wraps(load_chalice_app)
    def load(factory: CLIFactory, environment_variables: MutableMapping[str, str] | None = None, **options: Any) -> Any:
        given = set(os.environ.get(LOCAL_STACK_VARIABLES, "").split(",")) - {""}
        if environment_variables is not None:
            environment_variables = {k: v for k, v in environment_variables.items() if k not in given}
        return load_chalice_app(factory, environment_variables, **options)

    return load


chalice_local_server = local.create_local_server

if __name__ == "__main__":
    local.ThreadedHTTPServer.request_queue_size = BACKLOG
    local.create_local_server = create_local_server
    CLIFactory.load_chalice_app = stack_values_first(CLIFactory.load_chalice_app)  # type: ignore[method-assign]
    sys.exit(main())
