"""gunicorn settings, read from this folder by default (``gunicorn "marketplace:create_app()"``).

Only a hook: each worker loads the search index before it takes requests, so the first buyer
after a start or a deploy does not wait for it. Workers, threads and the bind address stay on
the command line (see README, "Running in production").
"""

from __future__ import annotations

import time


def post_worker_init(worker) -> None:
    app = worker.wsgi
    backend = getattr(app, "extensions", {}).get("search")
    if backend is None:  # another app served with this folder's settings
        return
    start = time.perf_counter()
    try:
        with app.app_context():
            backend.warm()
    except Exception:  # the worker still serves: its first search loads the index instead
        worker.log.exception("search index not loaded ahead of requests")
        return
    worker.log.info("search index loaded in %.2f s", time.perf_counter() - start)


def worker_exit(server, worker) -> None:
    """Write the product views this worker counted but had not written yet."""
    app = worker.wsgi
    if "view_counts" not in getattr(app, "extensions", {}):
        return
    from catalog import view_counts

    view_counts.flush(app)
