"""A process that starts the certificates' rendering pool, prints its processes' ids, then waits
to be killed (tests/certificates/test_rendering_pool.py)."""
import os
import sys
import time

from centre import create_app
from centre.certificates import rendering

if __name__ == "__main__":
    app = create_app("test", SQLALCHEMY_DATABASE_URI=sys.argv[1], CERTIFICATE_WORKERS=2)
    with app.app_context():
        pool = rendering._get_pool(2)
        pids = {future.result() for future in [pool.submit(os.getpid) for _ in range(8)]}
        print(" ".join(map(str, sorted(pids))), flush=True)
        time.sleep(120)
