"""Write and read time of a dataset in the store: local, memory://, moto S3, encrypted.

Run: ``PYTHONPATH=src python benchmarks/bench_store.py [--rows N] [--repeat K]``.
Each case writes the same generated sales frame ``K`` times and reads the latest
version back ``K`` times; the best time of each is reported with its ratio to the
plain local store. S3 is moto's server on 127.0.0.1 in this process (its own HTTP
parsing and storage cost included, so it measures the store's S3 path, not AWS).
The result goes to ``benchmarks/results/store.json`` and is printed.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nbdash.store import Store, generate_key

RESULTS = Path(__file__).parent / "results"


def sales_frame(rows: int) -> pd.DataFrame:
    """A typed sales table: dates, categories, text, integers and floats."""
    rng = np.random.default_rng(11)
    regions = np.array(["North", "South", "East", "West", "Central"])
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1500, rows), unit="D"),
            "region": pd.Categorical(regions[rng.integers(0, 5, rows)]),
            "customer": pd.array(
                [f"C{n:07d}" for n in rng.integers(0, 200_000, rows)], dtype="str"
            ),
            "quantity": rng.integers(1, 50, rows),
            "price": rng.uniform(1, 500, rows).round(2),
        }
    )


def start_moto() -> tuple[Any, dict[str, Any]]:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    options = {
        "endpoint_url": f"http://{host}:{port}",
        "key": "bench",
        "secret": "bench",
        "client_kwargs": {"region_name": "us-east-1"},
    }
    boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        region_name="us-east-1",
    ).create_bucket(Bucket="bench")
    return server, options


def best_time(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(store: Store, frame: pd.DataFrame, repeat: int) -> dict[str, float]:
    name = f"sales-{uuid.uuid4().hex[:6]}"
    write = best_time(lambda: store.write(name, frame), repeat)
    store.read(name)  # untimed: the first read warms imports and connections
    read = best_time(lambda: store.read(name), repeat)
    back = store.read(name)
    assert len(back) == len(frame), "the store returned a different row count"
    return {"write_s": round(write, 3), "read_s": round(read, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    frame = sales_frame(args.rows)
    key = generate_key()
    server, options = start_moto()
    folder = Path(tempfile.mkdtemp(prefix="nbdash-bench-store-"))
    cases = {
        "local": Store(folder / "plain", keep=2),
        "local encrypted": Store(folder / "sealed", keep=2, encrypt=True, key=key),
        "memory://": Store(f"memory://bench-{uuid.uuid4().hex[:6]}", keep=2),
        "moto S3": Store("s3://bench/plain", keep=2, storage_options=options),
        "moto S3 encrypted": Store(
            "s3://bench/sealed", keep=2, storage_options=options, encrypt=True, key=key
        ),
    }

    try:
        results = {
            label: measure(store, frame, args.repeat) for label, store in cases.items()
        }
    finally:
        server.stop()

    base = results["local"]
    for result in results.values():
        result["write_ratio"] = round(result["write_s"] / base["write_s"], 2)
        result["read_ratio"] = round(result["read_s"] / base["read_s"], 2)
    parquet = next((folder / "plain").rglob("v*.parquet"))
    report = {
        "rows": args.rows,
        "repeat": args.repeat,
        "frame_mib": round(frame.memory_usage(deep=True).sum() / 2**20, 1),
        "parquet_mib": round(parquet.stat().st_size / 2**20, 1),
        "results": results,
    }

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "store.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
