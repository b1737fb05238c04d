"""Misbehaving receivers on loopback: real TCP servers that hang, hang up or drip.

One class serves SMTP-ish and HTTP-ish faults, switched by `mode` (the test changes it to let the
receiver behave again):
  hang      accept, read, never answer
  smtp-drop greet, answer EHLO, then close in the middle of the conversation
  http-drop read the request, then close without an answer
  drip      answer a request with a status line and one header byte every `drip_seconds`
  smtp-drip greet one byte every `drip_seconds`
  http-ok   answer 200 (each request is kept in `requests`)
"""

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class FaultServer:
    mode: str = "hang"
    drip_seconds: float = 0.02
    drip_bytes: int = 600
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    drips_finished: int = 0
    drips_cut: int = 0

    def __post_init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self._open: list[socket.socket] = []
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def __enter__(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._stopped.set()
        self.listener.close()
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with self._lock:
                self._open.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn, self.mode), daemon=True)
            self._threads.append(thread)
            thread.start()

    def settle(self, timeout: float = 60) -> None:
        """Wait until every connection so far was served to its end (a bound, not a measure)."""
        for thread in list(self._threads):
            thread.join(timeout)

    def _serve(self, conn: socket.socket, mode: str) -> None:
        reader = conn.makefile("rb")
        try:
            getattr(self, "_" + mode.replace("-", "_"))(conn, reader)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            reader.close()
            with self._lock:
                if conn in self._open:
                    self._open.remove(conn)
            conn.close()

    def _hang(self, conn, reader) -> None:
        while not self._stopped.is_set() and reader.read1(65536):
            pass

    def _smtp_drop(self, conn, reader) -> None:
        conn.sendall(b"220 fault.test ESMTP\r\n")
        reader.readline()  # EHLO
        conn.sendall(b"250 fault.test\r\n")
        reader.readline()  # MAIL FROM: hang up instead of answering

    @staticmethod
    def _read_request(reader) -> bytes:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = reader.readline()
            if not line:
                return head
            head += line
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return head + reader.read(length)

    def _http_drop(self, conn, reader) -> None:
        self._read_request(reader)

    def _drip(self, conn, reader) -> None:
        self._read_request(reader)
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
        self._drip_bytes(conn)

    def _smtp_drip(self, conn, reader) -> None:
        conn.sendall(b"220 ")
        self._drip_bytes(conn)

    def _drip_bytes(self, conn) -> None:
        for _ in range(self.drip_bytes):
            if self._stopped.is_set():
                return
            try:
                conn.sendall(b"a")
            except OSError:
                self.drips_cut += 1  # the client gave up while the answer was still dripping
                return
            time.sleep(self.drip_seconds)
        self.drips_finished += 1

    def _http_ok(self, conn, reader) -> None:
        self.requests.append(self._read_request(reader))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
