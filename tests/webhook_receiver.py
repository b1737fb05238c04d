"""A real HTTP receiver on loopback for webhook tests: scripted answers, every request kept."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    path: str
    headers: dict
    body: bytes
    status: int


@dataclass
class Receiver:
    """Answers with `script` in order, then with `default`; `delay` seconds before answering."""

    script: list[int] = field(default_factory=list)
    default: int = 200
    delay: float = 0.0
    location: str = ""
    requests: list[Request] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.script.pop(0) if receiver.script else receiver.default
                receiver.requests.append(Request(self.path, dict(self.headers), body, status))
                receiver.arrived.set()
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                try:
                    self.send_response(status)
                    if receiver.location:
                        self.send_header("Location", receiver.location)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the client went away (a killed worker)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def accepted(self) -> list[Request]:
        return [r for r in self.requests if 200 <= r.status < 300]
