"""Storefront benchmark: gunicorn + wrk against the marketplace and a bare Flask app.

    .venv/bin/python bench/storefront.py [--products 10000] [--duration 10] [--connections 16]

Builds a throw-away SQLite marketplace (demo data grown to N products), serves it and a bare
Flask "hello" app under gunicorn on 127.0.0.1 with the same worker count, loads each with wrk
and prints requests/s, p50/p99 latency, errors and the ratio to the bare app. Pages are
measured as anonymous buyers see them (page cache on) and again with the page cache off.
Also prints page weight (home HTML+CSS+JS gzipped, a 640-px product photo). Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - loopback only
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start")


def serve(app_spec: str, port: int, env: dict, workers: int) -> subprocess.Popen:
    cmd = [
        str(VENV_BIN / "gunicorn"),
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--no-control-socket",  # several servers run side by side here
        app_spec,
    ]
    return subprocess.Popen(cmd, env=env, cwd=ROOT)


def parse_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    url: str, duration: int, connections: int, threads: int = 2, extra: list[str] | None = None
) -> dict:
    """``extra``: more wrk arguments, e.g. ``["-H", "User-Agent: …"]``."""
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{duration}s",
            "--latency",
            *(extra or []),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = parse_ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1))
    p99 = parse_ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors}


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - loopback only
        return r.read()


def page_weight(base: str, product_slug: str) -> dict:
    html = fetch(base + "/")
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html.decode())
    total = len(gzip.compress(html, 6)) + sum(
        len(gzip.compress(fetch(base + a), 6)) for a in assets
    )
    product_html = fetch(f"{base}/p/{product_slug}").decode()
    webp = re.search(r'srcset="([^" ]+-640\.webp)', product_html) or re.search(
        r'(/media/[^" ]+-640\.webp)', product_html
    )
    jpg = re.search(r'src="(/media/[^"]+-640\.jpg)"', product_html)
    return {
        "home_gzip_kb": total / 1024,
        "assets": assets,
        "photo640_webp_kb": len(fetch(base + webp.group(1))) / 1024 if webp else None,
        "photo640_jpg_kb": len(fetch(base + jpg.group(1))) / 1024 if jpg else None,
    }


def throwaway_instance(prefix: str) -> tuple[Path, dict]:
    """A temporary instance folder and the environment that points the app at it."""
    instance = Path(tempfile.mkdtemp(prefix=prefix))
    env = {
        **os.environ,
        "INSTANCE_PATH": str(instance),
        "RATELIMIT_ENABLED": "false",
        "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite'}",
        "MEDIA_ROOT": str(instance / "media"),
    }
    env.pop("MARKETPLACE_ENV", None)
    return instance, env


def prepare(instance: Path, products: int, env: dict) -> tuple[str, str]:
    flask = [str(VENV_BIN / "flask"), "--app", "marketplace"]
    subprocess.run(
        [*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    subprocess.run(
        [*flask, "demo", "load"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    code = (
        "import sys; sys.path.insert(0, 'bench');"
        "from marketplace import create_app; from seed import grow_catalogue;"
        "from sqlalchemy import select; from catalog.models import Product, Category;"
        "from marketplace.extensions import db\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    print(grow_catalogue({products}))\n"
        "    print(db.session.scalar(select(Product.slug).where(Product.featured.is_(True))))\n"
        "    print(db.session.scalar(select(Category.slug).where(Category.parent_id.is_(None))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    print(f"catalogue: {out[0]} products")
    return out[1], out[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    instance, env = throwaway_instance("mm-bench-")
    product_slug, category_slug = prepare(instance, args.products, env)

    app_port, raw_port, hello_port = free_port(), free_port(), free_port()
    servers = [
        serve("marketplace:create_app()", app_port, env, args.workers),
        # The same app with the anonymous page cache off: what a cache miss costs.
        serve(
            "marketplace:create_app()", raw_port, {**env, "PAGE_CACHE_SECONDS": "0"}, args.workers
        ),
        serve(
            "hello_app:app", hello_port, {**env, "PYTHONPATH": str(ROOT / "bench")}, args.workers
        ),
    ]
    try:
        base, hello = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{hello_port}"
        raw = f"http://127.0.0.1:{raw_port}"
        wait_up(base + "/healthz")
        wait_up(raw + "/healthz")
        wait_up(hello + "/")
        pages = {
            "bare Flask /": hello + "/",
            "/": base + "/",
            f"/c/{category_slug}": f"{base}/c/{category_slug}",
            f"/p/{product_slug}": f"{base}/p/{product_slug}",
            "/ (no page cache)": raw + "/",
            f"/c/{category_slug} (no page cache)": f"{raw}/c/{category_slug}",
            f"/p/{product_slug} (no page cache)": f"{raw}/p/{product_slug}",
        }
        for url in pages.values():  # warm every worker's caches
            for _ in range(args.workers * 3):
                fetch(url)
        print(
            f"\nwrk: {args.connections} connections, {args.duration}s each, "
            f"{args.workers} gunicorn workers, {args.products} products\n"
        )
        print(f"{'page':42} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'ratio':>6}")
        baseline = None
        for name, url in pages.items():
            r = run_wrk(url, args.duration, args.connections)
            baseline = baseline or r["rps"]
            print(
                f"{name[:42]:42} {r['rps']:9.0f} {r['p50']:8.1f} {r['p99']:8.1f} "
                f"{r['errors']:7d} {r['rps'] / baseline:6.2f}"
            )
        w = page_weight(base, product_slug)
        print(
            f"\nhome page HTML+CSS+JS gzipped: {w['home_gzip_kb']:.1f} KB "
            f"(assets: {', '.join(w['assets'])})"
        )
        if w["photo640_webp_kb"] is not None:
            print(
                f"640-px product photo: {w['photo640_webp_kb']:.1f} KB WebP, "
                f"{w['photo640_jpg_kb']:.1f} KB JPEG"
            )
    finally:
        for s in servers:
            s.terminate()
        for s in servers:
            s.wait(timeout=10)
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
