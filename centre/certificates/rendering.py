"""Rendering many certificates at once, in worker processes.

Each worker creates the app once (and with it the one FontConfiguration and CSS that
render_pdf shares, and the parsed signing key), then renders and signs the jobs it is given;
it never touches the database.
Workers start with "spawn", not fork: a forked child would inherit the parent's
database connections.
"""
import atexit
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor

from flask import current_app

from centre.certificates.printing import SIDES, render_jobs
from centre.pdf import _shared_resources, _stylesheet_source
from centre.signing import SigningKeyError, signing_identity, stamp_style

#: Configuration a worker needs to print what the parent would print.
_CONFIG_KEYS = ("INSTITUTION_NAMES", "CENTRE_NAMES", "CERTIFICATE_PLACES", "CERTIFICATE_PREFIX",
                "BABEL_DEFAULT_TIMEZONE", "PUBLIC_BASE_URL", "SQLALCHEMY_DATABASE_URI",
                "SIGNING_KEY", "SIGNING_PASSPHRASE", "SIGNING_PKCS11_MODULE", "SIGNING_PKCS11_TOKEN",
                "SIGNING_PKCS11_KEY", "TSA_URL")

#: What each rendering process logs once it has started (its process id follows).
RENDERING_READY = "Certificate rendering process ready"

log = logging.getLogger(__name__)

_pool: ProcessPoolExecutor | None = None
_pool_key = None
_worker_app = None


def _exit_with_parent(parent: int) -> None:
    """Leave once orphaned: a process killed with SIGKILL (a jobs worker, say) cannot stop its
    pool, whose processes would otherwise live on, idle, holding their memory."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _worker_init(config_name: str, overrides: dict, parent: int) -> None:
    global _worker_app
    threading.Thread(target=_exit_with_parent, args=(parent,), name="exit-with-parent", daemon=True).start()
    # Imported here, in the worker only: the app's package imports the blueprints, which import
    # the bulk issue, which imports this module.
    from centre import create_app

    _worker_app = create_app(config_name, **overrides)
    with _worker_app.app_context():
        _shared_resources(_stylesheet_source())  # fonts and stylesheet, once per process
        try:
            identity = signing_identity()  # the signing key, parsed once per process
        except SigningKeyError:
            pass  # logged; each job then refuses with the reason (the parent checks the key first)
        else:
            # The signature stamps, rendered once per process and kept; rendering them also loads
            # the fonts (Latin and Arabic) that every certificate needs, before the first one.
            for languages in set(SIDES.values()):
                stamp_style(languages, identity.common_name)
    log.info("%s: %d", RENDERING_READY, os.getpid())


def _ready() -> int:
    return os.getpid()


def _worker_render(jobs, signatures) -> list[bytes]:
    with _worker_app.app_context():
        return render_jobs(jobs, signatures)


def workers() -> int:
    configured = current_app.config.get("CERTIFICATE_WORKERS")
    return (os.cpu_count() or 1) if configured is None else int(configured)


def _get_pool(count: int) -> ProcessPoolExecutor:
    """One pool per process, kept for the next bulk issue (starting workers costs ~1 s)."""
    global _pool, _pool_key
    overrides = {key: current_app.config[key] for key in _CONFIG_KEYS if key in current_app.config}
    key = (current_app.config["ENV_NAME"], repr(sorted(overrides.items())), count)
    if _pool is None or _pool_key != key:
        shutdown()
        _pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_worker_init, initargs=(key[0], overrides, os.getpid()))
        _pool_key = key
    return _pool


def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(cancel_futures=True)
        _pool = None


atexit.register(shutdown)


def start_rendering(jobs, signatures: dict[int, str]):
    """Hand the jobs to the workers now; returns a callable that waits for the PDFs, in order.

    The caller can do other work (reserve the next batch, store the previous one) meanwhile.
    With no workers configured, the rendering happens here, when the callable is called.
    """
    count = min(workers(), len(jobs))
    if count <= 1:
        return lambda: render_jobs(jobs, signatures)
    pool = _get_pool(workers())
    size = max(1, -(-len(jobs) // (count * 4)))  # a few chunks per worker keeps both busy to the end
    futures = [pool.submit(_worker_render, jobs[i:i + size], signatures) for i in range(0, len(jobs), size)]
    return lambda: [pdf for future in futures for pdf in future.result()]


def warm_up() -> list[Future]:
    """Start the rendering processes now, while the caller does something else (prepares the first
    batch; a jobs worker, waits for its first job): each takes about a second to create the app, load
    the fonts and the signing key. A pool starts a process only when given work, so each is given a
    task that does nothing; each logs RENDERING_READY once started. Returns the tasks.
    Meanwhile this process loads the signing key too, which it checks before each bulk issue."""
    count = workers()
    if count <= 1:
        return []
    pool = _get_pool(count)
    started = [pool.submit(_ready) for _ in range(count)]
    try:
        signing_identity()
    except SigningKeyError:
        pass  # logged; the bulk issue refuses with the reason
    return started
