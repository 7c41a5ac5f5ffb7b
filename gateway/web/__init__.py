"""The staff workspace: sign-in, the queue, a ticket, on call and reports, as server-rendered
pages (Jinja2 templates in templates/web/, htmx vendored in static/vendor/) on the gateway's
HTTP server."""

from gateway.web.workspace import Workspace, WorkspaceContext

__all__ = ["Workspace", "WorkspaceContext"]
