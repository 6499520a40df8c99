"""A small threaded TCP forwarder on 127.0.0.1, to take a server (PostgreSQL) away from the app and back.

    proxy = TcpProxy("127.0.0.1", 5432).start()   # point the app at 127.0.0.1:proxy.port
    proxy.pause()                                   # existing connections are reset; new ones are refused
    proxy.pause(blackhole=True)                     # ...or new ones are accepted and then never answered
    proxy.hang()                                    # nothing passes, nothing is closed: a hung server
    proxy.resume()                                  # forwarding again (held connections are reset)

"Refused" connections are accepted and reset at once (the client sees the server go away straight
after connecting, as fast as a refused connection); blackholed ones hang until the client's own
timeout, like a server that is down behind a firewall that drops packets. A hung proxy keeps every
connection open and its kernel acknowledges what is sent, but nothing passes either way (not even
the server closing a connection) until `resume()`: a server, or a proxy on the way, that stopped
answering. TCP keep-alives are answered all the same, so only the client's own timeouts end the wait.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from enum import Enum

_BUFFER = 65536


class _State(Enum):
    FORWARDING = "forwarding"
    REFUSING = "refusing"
    BLACKHOLING = "blackholing"


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0): the peer's next read or write fails at once."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a pump thread blocked in recv on it
    with contextlib.suppress(OSError):
        sock.close()


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.host = host
        self._lock = threading.Lock()  # guards everything below
        self._state = _State.FORWARDING
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._held: set[socket.socket] = set()  # blackholed clients
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._flowing = threading.Event()  # cleared while hung: the pumps hold what they read
        self._flowing.set()
        self.accepted = 0  # connections the proxy accepted, whatever it did with them
        self.reset_by_pause = 0  # forwarded connections that pause() cut

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, 0))
        listener.listen(128)
        listener.settimeout(0.1)  # so that stop() is noticed without a connection arriving
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._flowing.set()  # held pumps go on, into closed sockets, and end
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            self._cut_all()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._listener is not None, "TcpProxy not started"
        return int(self._listener.getsockname()[1])

    # ----------------------------------------------------------------- faults
    def pause(self, blackhole: bool = False) -> int:
        """The server goes away: open connections are reset; new ones are refused (or blackholed).

        Returns how many open connections were cut.
        """
        with self._lock:
            self._state = _State.BLACKHOLING if blackhole else _State.REFUSING
            cut = len(self._pairs)
            self.reset_by_pause += cut
            self._cut_all()
            self._flowing.set()
            return cut

    def hang(self) -> int:
        """The server stops answering: open connections stay open, and what either side sends is held
        (acknowledged by the proxy's kernel, never passed on); new connections are accepted and never
        answered. Returns how many open connections are held."""
        with self._lock:
            self._state = _State.BLACKHOLING
            self._flowing.clear()
            return len(self._pairs)

    def resume(self) -> None:
        """The server is back: new connections are forwarded again; blackholed ones are reset; what a
        hang held passes on."""
        with self._lock:
            self._state = _State.FORWARDING
            self._flowing.set()
            for held in self._held:
                _reset(held)
            self._held.clear()

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    # ----------------------------------------------------------------- plumbing
    def _cut_all(self) -> None:
        for client, upstream in self._pairs:
            _reset(client)
            _reset(upstream)
        self._pairs.clear()
        for held in self._held:
            _reset(held)
        self._held.clear()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                self.accepted += 1
                state = self._state
                if state is _State.REFUSING:
                    _reset(client)
                    continue
                if state is _State.BLACKHOLING:
                    self._held.add(client)
                    continue
            threading.Thread(target=self._connect, args=(client,), name="tcp-proxy-conn", daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
        except OSError:
            _reset(client)
            return
        pair = (client, upstream)
        with self._lock:
            if self._state is not _State.FORWARDING:  # paused while connecting upstream
                _reset(client)
                _reset(upstream)
                return
            self._pairs.add(pair)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(pair, source, sink), name="tcp-proxy-pump", daemon=True).start()

    def _pump(self, pair: tuple[socket.socket, socket.socket], source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(_BUFFER)
                self._flowing.wait()  # held while hung, the end of the stream too
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        # One side ended: end the other side too, once (a pair cut by pause() is closed already).
        with self._lock:
            if pair not in self._pairs:
                return
            self._pairs.discard(pair)
        for sock in pair:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the other direction's pump
            with contextlib.suppress(OSError):
                sock.close()
