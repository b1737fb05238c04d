"""A TCP proxy on loopback that a test can cut and restore, to take a server away for real.

cut() closes every open connection and answers new ones by closing them at once, so the client
sees the genuine error of a lost server ("server closed the connection unexpectedly");
restore() forwards again.
"""

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.is_cut = False
        self.accepted = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.listener.close()
        self._close_all()

    def cut(self) -> None:
        """Drop every connection and refuse new ones (accept, then close)."""
        self.is_cut = True
        self._close_all()

    def restore(self) -> None:
        self.is_cut = False

    def _close_all(self) -> None:
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # listener closed
            self.accepted += 1
            if self.is_cut:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            done = threading.Barrier(2)
            for source, sink in ((client, upstream), (upstream, client)):
                args = (source, sink, done)
                threading.Thread(target=self._pump, args=args, daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, done: threading.Barrier) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if done.wait() == 0:  # the last of the pair's two pumps closes both sockets
            with self._lock:
                self._open.difference_update((source, sink))
            source.close()
            sink.close()
