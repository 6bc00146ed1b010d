"""Lighthouse (mobile profile) scores for the home, a category, a product and a search page.

    .venv/bin/python bench/lighthouse.py [--products 61]

Serves a throw-away demo marketplace under gunicorn on 127.0.0.1 and runs npm's ``lighthouse``
12 (fetched by ``npx`` on first use) in Debian's Chromium (``CHROME_PATH``, default
``/usr/bin/chromium``). Prints each category's score per page; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from storefront import (  # noqa: E402
    ROOT,
    free_port,
    prepare,
    serve,
    throwaway_instance,
    wait_up,
)

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def lighthouse(url: str, chrome: str) -> dict[str, int]:
    out = subprocess.run(
        [
            "npx",
            "--yes",
            "lighthouse@12",
            url,
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            f"--only-categories={','.join(CATEGORIES)}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
        ],
        env={**os.environ, "CHROME_PATH": chrome},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    report = json.loads(out)
    return {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=61)
    args = parser.parse_args()
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    if not shutil.which("npx") or not Path(chrome).exists():
        sys.exit(f"needs npx (Node.js) and Chromium at {chrome}")
    instance, env = throwaway_instance("mm-lighthouse-")
    product_slug, category_slug = prepare(instance, args.products, env)
    port = free_port()
    server = serve("marketplace:create_app()", port, env, 2)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(base + "/healthz")
        pages = {"/": "/", f"/c/{category_slug}": f"/c/{category_slug}"}
        pages[f"/p/{product_slug}"] = f"/p/{product_slug}"
        pages["/search?q=gula+aren"] = "/search?q=gula+aren"  # results, facets, autocomplete
        print(f"\nLighthouse 12, mobile profile, {chrome}\n")
        print(f"{'page':44}" + "".join(f"{c:>16}" for c in CATEGORIES))
        for name, path in pages.items():
            scores = lighthouse(base + path, chrome)
            print(f"{name[:44]:44}" + "".join(f"{scores[c]:>16}" for c in CATEGORIES))
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
