"""`chalice local`, with a listen backlog that takes a burst of connections as API Gateway does.

Chalice's local server keeps socketserver's default backlog of 5: the sixth simultaneous connection is reset.
"""

from __future__ import annotations

import sys

from chalice import local
from chalice.cli import main

BACKLOG = 256

if __name__ == "__main__":
    local.ThreadedHTTPServer.request_queue_size = BACKLOG
    sys.exit(main())
