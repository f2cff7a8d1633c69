"""A TCP proxy the tests control: forward, cut (nothing listens), stall or pause (nothing answers).

It stands between the service and a real server, so a test can take the server away
and give it back without touching the server itself.
"""

import contextlib
import socket
import threading
from types import TracebackType
from typing import Self

_CHUNK = 65_536


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``(host, target_port)`` until told otherwise."""

    def __init__(self, host: str, target_port: int) -> None:
        """Listen on a free local port; nothing is forwarded before :meth:`start`."""
        self._target = (host, target_port)
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._stalled = False
        # Paused: connections stay open, and what either side sends is held, not lost.
        self._flowing = threading.Event()
        self._flowing.set()
        self.port = 0
        self._acceptor: threading.Thread | None = None
        self._listen()

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections.append(client)
                stalled = self._stalled
            if stalled:
                continue  # accepted, never answered
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(_CHUNK):
                self._flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def _drop_connections(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def cut(self) -> None:
        """Drop every connection and stop listening: connecting is refused."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
            if self._acceptor is not None:
                # Its pending accept() holds the port until it returns (within 50 ms):
                # then :meth:`restore` may listen on the port again at once.
                self._acceptor.join()
        self._drop_connections()

    def stall(self) -> None:
        """Drop every connection; accept new ones but never answer them."""
        self._stalled = True
        self._drop_connections()

    def pause(self) -> None:
        """Keep every connection open but deliver nothing (a stopped server, a partition).

        New connections are accepted and never answered. What was sent meanwhile is
        delivered on :meth:`restore`, as a network that comes back delivers it.
        """
        self._flowing.clear()
        self._stalled = True

    def restore(self) -> None:
        """Forward again, on the same port."""
        self._stalled = False
        self._flowing.set()
        if self._listener is None:
            self._listen()

    def close(self) -> None:
        """Stop for good."""
        self.cut()

    def __enter__(self) -> Self:
        """Use as a context manager that closes the proxy."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the proxy."""
        self.close()
