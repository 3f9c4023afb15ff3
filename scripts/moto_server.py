"""moto's server, applying one request at a time.

DynamoDB applies each write, conditions included, to an item atomically: twenty conditional
UpdateItems that each add one while `count < limit` leave exactly `limit`. moto's server runs
requests on threads with no lock around its tables, so under real concurrency its condition
checks race and it counts wrong in either direction. The suite tests concurrency for real, so
the server must keep DynamoDB's promise: this wraps moto's application in one lock (Python runs
one thread at a time anyway, so little is lost). Same arguments as `moto_server`.
"""

import threading

import moto.server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication


class OneRequestAtATime(DomainDispatcherApplication):
    _lock = threading.Lock()

    def __call__(self, environ, start_response):
        # The backend does all its work in this call; the body it returns is already built.
        with self._lock:
            return super().__call__(environ, start_response)


moto.server.DomainDispatcherApplication = OneRequestAtATime

if __name__ == "__main__":
    moto.server.main()
