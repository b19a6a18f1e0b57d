"""Section 6: a call with query parameters against one without, relative to the floor.

The shape corpus (``tests/fixtures/shapes``) is generated into a throwaway package and served by a
sandbox built from the same specs. Three series run interleaved, like section 1:

- floor: sign + one ``http.client`` keep-alive ``GET`` of the query page + verify;
- ``list_favor_stocks(offset=, limit=, stock_creator_mchid=, status=)``: four query parameters
  (integers, a string, an enum), validated, encoded once, signed over ``path?query``;
- ``query_busifavor_stock(stock_id=)``: a ``GET`` with a path parameter only.

The row to read: "query call minus no-query call, as a share of the floor": (median of the query
call - median of the no-query call) / median of the floor, in percent (target: at most 10 %:
validating, encoding and signing the query must not cost more than a few tens of microseconds).
"""

from __future__ import annotations

import base64
import gc
import http.client
import importlib
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from .percall import Series
from .sandbox_process import SandboxProcess
from .stats import Row, ratio_row

SECTION = "6 query strings"
#: The query call may cost at most this many percent of the floor more than the no-query call.
QUERY_EXTRA_AT_MOST = 10.0
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "shapes"
PACKAGE = "shapes_bench_client"
QUERY_TARGET = (
    "/v3/marketing/favor/stocks?offset=0&limit=10&stock_creator_mchid=9856888&status=running"
)
_PADDING = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


class GetFloor:
    """Sign + one keep-alive GET + verify, by hand (the least a correct client does)."""

    def __init__(self, config: dict[str, Any], host: str, port: int) -> None:
        key = load_pem_private_key(config["private_key"].encode(), None)
        public = load_pem_public_key(config["wechatpay_public_key"].encode())
        assert isinstance(key, rsa.RSAPrivateKey) and isinstance(public, rsa.RSAPublicKey)
        self.key, self.public = key, public
        self.prefix = f'WECHATPAY2-SHA256-RSA2048 mchid="{config["mchid"]}",nonce_str="'
        self.serial = config["serial_no"]
        self.conn = http.client.HTTPConnection(host, port, timeout=10)

    def __call__(self) -> None:
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(16)
        message = f"GET\n{QUERY_TARGET}\n{timestamp}\n{nonce}\n\n".encode()
        signature = base64.b64encode(self.key.sign(message, _PADDING, _SHA256)).decode()
        authorization = (
            f'{self.prefix}{nonce}",signature="{signature}",timestamp="{timestamp}",'
            f'serial_no="{self.serial}"'
        )
        self.conn.request(
            "GET",
            QUERY_TARGET,
            headers={"Authorization": authorization, "Accept": "application/json"},
        )
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"floor call failed: HTTP {response.status} {body[:200]!r}")
        headers = response.headers
        signed = f'{headers["Wechatpay-Timestamp"]}\n{headers["Wechatpay-Nonce"]}\n'.encode()
        self.public.verify(
            base64.b64decode(headers["Wechatpay-Signature"]),
            signed + body + b"\n",
            _PADDING,
            _SHA256,
        )

    def close(self) -> None:
        self.conn.close()


def _package(folder: Path) -> Any:
    from wechatpay_codegen.generate import generate_files
    from wechatpay_codegen.writer import write_tree

    write_tree(generate_files(FIXTURE, PACKAGE), folder)
    sys.path.insert(0, str(folder))
    return importlib.import_module(PACKAGE)


def run(*, rounds: int, batch: int, server_cpu: int | None) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp, SandboxProcess(FIXTURE, cpu=server_cpu) as sandbox:
        pkg = _package(Path(tmp))
        config = sandbox.merchant_config()
        host, port = sandbox.host_port
        floor = GetFloor(config, host, port)
        client = pkg.WeChatPayClient(**config)

        def with_query() -> None:
            client.list_favor_stocks(
                offset=0, limit=10, stock_creator_mchid="9856888", status="running"
            )

        def without_query() -> None:
            client.query_busifavor_stock(stock_id="1212000000000001")

        series = [
            Series("floor (sign + http.client GET with a query + verify)", floor),
            Series("list_favor_stocks: 4 query parameters", with_query),
            Series("query_busifavor_stock: path parameter only", without_query),
        ]
        for s in series:
            s.batch(20)
            s.latencies.clear()
            s.cpu = s.wall = 0.0
            s.calls = 0
        gc.collect()
        for r in range(rounds):
            for s in series[r % len(series) :] + series[: r % len(series)]:
                s.batch(batch)
        floor.close()
        client.close()
        sys.path.remove(tmp)

    floor_s, query_s, plain_s = series
    rows = [Row(SECTION, s.name, s.describe()) for s in series]
    rows += [
        ratio_row(
            SECTION,
            "query call minus no-query call, as a share of the floor (median wall)",
            extra_share(query_s.median, plain_s.median, floor_s.median),
            at_most=QUERY_EXTRA_AT_MOST,
            unit="%",
        ),
        ratio_row(
            SECTION,
            "(info) query call minus no-query call, as a share of the floor (client CPU)",
            extra_share(query_s.cpu_per_call, plain_s.cpu_per_call, floor_s.cpu_per_call),
            unit="%",
        ),
        ratio_row(SECTION, "(info) query call: wall vs floor", query_s.median / floor_s.median),
        ratio_row(SECTION, "(info) no-query call: wall vs floor", plain_s.median / floor_s.median),
        ratio_row(
            SECTION,
            "(info) query call vs no-query call: client CPU",
            query_s.cpu_per_call / plain_s.cpu_per_call,
        ),
    ]
    return rows


def extra_share(query: float, plain: float, floor: float) -> float:
    """What the query call costs more than the no-query call, in percent of the floor.

    Both calls are compared with each other, not each with the floor: the built-in transport
    makes a call cost about what the floor costs, so "above the floor" is zero or negative and a
    ratio of the two would be noise divided by noise (or a division by zero). The floor is only
    the yardstick. Negative when the query call is the cheaper one.
    """
    if floor <= 0:
        raise ValueError(f"the floor measured {floor!r}: no yardstick")
    return (query - plain) / floor * 100.0
