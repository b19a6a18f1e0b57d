"""The :class:`Sandbox` object: specs + keys -> a running local WeChat-Pay-compatible server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from ..loader import SpecSet, load_specs
from .certificates import SignWith
from .keys import SandboxKeys, generate_keys, load_or_create_keys
from .notify import Callback, NotifyResult, build_callback, send_callback
from .operations import Operation, RouteTable, build_operations
from .pipeline import Processor
from .platform_state import save_platform_state
from .recording import RecordedRequest
from .server import Limits, SandboxHTTPServer

DEFAULT_MAX_BODY_BYTES = Limits.max_body_bytes
_UNSPECIFIED_HOSTS = {"", "0.0.0.0", "::"}  # noqa: S104 - names, not a bind


class Sandbox:
    """A local server that verifies, validates and answers requests as the specs describe.

    ``specs`` is a spec folder (or file) or an already loaded ``SpecSet``. ``keys_dir`` is a key
    folder, reused when it holds keys and created otherwise; ``None`` keeps fresh keys in memory.
    ``port=0`` picks a free port. Use as a context manager, or call :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        specs: Path | SpecSet,
        keys_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_connections: int = 64,
        idle_timeout: float = 30.0,
        request_timeout: float = 10.0,
        clock_skew: int = 300,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if isinstance(specs, (str, Path)):
            specs = load_specs([Path(specs)])
        self.specs = specs
        self.operations: tuple[Operation, ...] = tuple(build_operations(specs))
        self.keys_created = False
        if keys_dir is None:
            self.keys: SandboxKeys = generate_keys()
        else:
            self.keys, self.keys_created = load_or_create_keys(Path(keys_dir))
        self.host = host
        self._requested_port = port
        self.limits = Limits(max_body_bytes, max_connections, idle_timeout, request_timeout)
        self._log = log
        self._stopping = threading.Event()
        self.processor = Processor(
            RouteTable(self.operations),
            self.keys,
            clock_skew=clock_skew,
            sleep=lambda seconds: not self._stopping.wait(seconds),
        )
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._record_platform()  # a new sandbox starts as a public-key merchant

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Bind and serve in a background thread. Raises OSError when the address is taken."""
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")
        self._stopping.clear()
        server = SandboxHTTPServer(
            (self.host, self._requested_port),
            self.processor,
            self.limits,
            log=self._log,
        )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{server.server_port}-accept",
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listening socket and every connection, and join all threads. Idempotent."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # wakes delayed requests
        server.shutdown()
        server.server_close()
        server.close_connections()
        server.join_threads(timeout=5.0)
        if thread is not None:
            thread.join(timeout=5.0)
        self._server = None
        self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def active_connections(self) -> int:
        """Open client connections right now (0 when stopped)."""
        return self._server.active_connections if self._server is not None else 0

    # -- addresses and client configuration ------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (the loopback address when bound to all interfaces)."""
        host = "127.0.0.1" if self.host in _UNSPECIFIED_HOSTS else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def _config(self) -> dict[str, Any]:
        return {
            "serial_no": None,
            "private_key": None,
            "wechatpay_public_key_id": self.keys.wechatpay_public_key_id,
            "wechatpay_public_key": self.keys.wechatpay_public_key_pem(),
            "base_url": self.base_url,
            "backup_base_url": None,
        }

    def merchant_config(
        self,
        *,
        verification: Literal["public-key", "certificate", "migration"] = "public-key",
        api_v3_key: bool = False,
    ) -> dict[str, Any]:
        """``WeChatPayClient(**cfg)`` arguments for the sandbox's merchant (keys as PEM text).

        ``verification``: ``"public-key"`` (the WeChat Pay public key only; with
        ``api_v3_key=True`` the key is added for callbacks, and platform certificates are
        turned off), ``"certificate"`` (platform certificates only: no public key, the APIv3
        key) or ``"migration"`` (both).
        """
        config = {"mchid": self.keys.mchid, **self._config()}
        config["serial_no"] = self.keys.merchant_serial_no
        config["private_key"] = self.keys.merchant_private_key_pem()
        if verification == "certificate":
            del config["wechatpay_public_key_id"], config["wechatpay_public_key"]
            config["api_v3_key"] = self.keys.api_v3_key
        elif verification == "migration":
            config["api_v3_key"] = self.keys.api_v3_key
        elif verification != "public-key":
            raise ValueError("verification must be 'public-key', 'certificate' or 'migration'")
        elif api_v3_key:
            config["api_v3_key"] = self.keys.api_v3_key
            config["platform_certificates"] = False
        return config

    def brand_config(self, *, api_v3_key: bool = False) -> dict[str, Any]:
        """``WeChatPayClient(**cfg)`` arguments for the sandbox's brand (keys as PEM text);
        ``api_v3_key=True`` adds the brand API key that decrypts brand callbacks."""
        config = {"brand_id": self.keys.brand_id, **self._config()}
        config["serial_no"] = self.keys.brand_serial_no
        config["private_key"] = self.keys.brand_private_key_pem()
        if api_v3_key:
            config["api_v3_key"] = self.keys.brand_api_key
        return config

    # -- callbacks -------------------------------------------------------------------------

    def callback(
        self,
        event_type: str,
        *,
        brand: bool = False,
        fault: str | None = None,
        resource: Any = None,
    ) -> Callback:
        """A callback as WeChat Pay sends it: the spec's example of ``event_type``, encrypted with
        ``keys.api_v3_key`` (``brand``: ``keys.brand_api_key``) and signed with the sandbox's
        WeChat Pay key (in certificate mode: the current platform certificate's key, and its
        serial; brand callbacks always the public key: brands have no platform certificates).
        ``resource`` replaces the example; ``fault`` forges it (see :data:`.notify.FAULTS`).
        Raises :class:`.notify.NotifyError` for an unknown event type."""
        platform = self.processor.platform
        current = platform.current if platform.enabled else None
        signer = None
        if current is not None and platform.sign_with == "certificate" and not brand:
            signer = (current.private_key, current.serial_no)  # certificate mode signs with it
        return build_callback(
            self.specs,
            self.keys,
            event_type,
            brand=brand,
            fault=fault,
            resource=resource,
            signer=signer,
        )

    def notify(
        self,
        url: str,
        event_type: str,
        *,
        brand: bool = False,
        fault: str | None = None,
        resource: Any = None,
        timeout: float = 10.0,
    ) -> NotifyResult:
        """POST :meth:`callback` to ``url`` and return the answer (the sandbox need not run)."""
        built = self.callback(event_type, brand=brand, fault=fault, resource=resource)
        return send_callback(url, built, timeout=timeout)

    # -- platform certificates -------------------------------------------------------------

    @property
    def api_v3_key(self) -> str:
        """The APIv3 key (32 characters) that encrypts callbacks and platform certificates."""
        return self.keys.api_v3_key

    def use_platform_certificates(self, sign_with: SignWith = "certificate") -> str:
        """Serve ``GET /v3/certificates`` and sign answers with the newest platform certificate
        (``sign_with="public-key"``: still with the public key, as during a migration).
        Returns the serial number of the signing certificate."""
        self.processor.platform.enable(sign_with)
        current = self.processor.platform.current
        assert current is not None
        self._record_platform()
        return current.serial_no

    def use_public_key_only(self) -> None:
        """Back to the default: a merchant with a WeChat Pay public key (certificates: 404).
        The platform certificates are forgotten; the next ``use_platform_certificates`` issues
        a new one."""
        self.processor.platform.disable()
        self._record_platform()

    def rotate_platform_certificate(self) -> str:
        """Issue a new platform certificate that signs from now on; the old one stays listed.
        Returns the new serial number."""
        serial = self.processor.platform.rotate().serial_no
        self._record_platform()
        return serial

    def _record_platform(self) -> None:
        """Keep the key folder's record of the certificate mode current (for ``sandbox
        notify`` in another process); nothing without a key folder."""
        if self.keys.directory is not None:
            save_platform_state(self.keys.directory, self.processor.platform)

    @property
    def platform_certificate_serials(self) -> list[str]:
        """Every platform certificate issued so far, oldest first."""
        return [c.serial_no for c in self.processor.platform.certificates]

    def serve_file(self, operation_id: str, content: bytes) -> None:
        """Answer ``content`` instead of the spec's example for an operation whose answer is a
        file (a bill of many MiB, say); unsigned when the spec marks the answer so."""
        op = next((o for o in self.operations if o.operation_id == operation_id), None)
        if op is None or not op.answer_type:
            raise ValueError(f"{operation_id!r} is not an operation whose answer is a file")
        if not isinstance(content, bytes):
            raise TypeError("content must be bytes")
        self.processor.files[operation_id] = content

    # -- what was received -----------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received since start (or the last :meth:`clear`), oldest first."""
        return self.processor.recorder.snapshot()

    def clear(self) -> None:
        """Forget recorded requests and reset the ``times=n`` fault counters."""
        self.processor.clear()

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "stopped"
        return f"<Sandbox {where}, {len(self.operations)} operations>"
