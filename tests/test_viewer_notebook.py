"""The notebook: docs/viewer.ipynb runs in a kernel, and its trame view loads nothing from the internet.

The example notebook is executed cell by cell with nbclient; while its kernel (and the trame
server in it) is alive, headless Chromium opens the view and every request it makes is
recorded through the DevTools protocol: all must go to the kernel's own server.  Skipped, with
the reason, where the notebook extra, ipykernel or Chromium is missing.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "viewer.ipynb"


def _missing() -> str | None:
    try:
        import aiohttp  # noqa: F401
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as exc:
        return f"the notebook extra is not installed ({exc.name}): pip install '.[notebook]' nbclient"
    from glute3d.viewer.notebook import trame_available

    if not trame_available():
        return "pyvista's trame back end is not installed: pip install '.[notebook]'"
    if shutil.which("chromium") is None:
        return "no chromium to open the trame view in"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


async def _browse(url: str, port: int, profile: Path, seconds: float = 20.0) -> tuple[list[str], bytes]:
    """Every URL Chromium requests while showing ``url`` for ``seconds``, and a screenshot."""
    import aiohttp

    cmd = ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={port}",
           f"--user-data-dir={profile}", "--window-size=1100,800", "about:blank"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        tabs: list = []
        for _ in range(100):
            try:
                tabs = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=2).read())
                break
            except OSError:
                time.sleep(0.2)
        ws_url = next(t["webSocketDebuggerUrl"] for t in tabs if t["type"] == "page")
        requests: list[str] = []
        async with aiohttp.ClientSession() as session, session.ws_connect(ws_url, max_msg_size=0) as ws:
            for i, (method, params) in enumerate(
                [("Network.enable", {}), ("Page.enable", {}), ("Page.navigate", {"url": url})], start=1
            ):
                await ws.send_json({"id": i, "method": method, "params": params})
            end, shot_id = time.time() + seconds, None
            while True:
                try:
                    msg = await asyncio.wait_for(ws.receive_json(), timeout=1.0)
                except TimeoutError:
                    msg = {}
                if msg.get("method") == "Network.requestWillBeSent":
                    requests.append(msg["params"]["request"]["url"])
                if shot_id is not None and msg.get("id") == shot_id:
                    return requests, base64.b64decode(msg["result"]["data"])
                if shot_id is None and time.time() > end:
                    shot_id = 99
                    await ws.send_json({"id": shot_id, "method": "Page.captureScreenshot", "params": {}})
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_example_notebook_runs_and_its_view_needs_no_internet(tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    work = tmp_path / "docs"
    work.mkdir()
    (tmp_path / "scenes").symlink_to(ROOT / "scenes")
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, i)
        outputs = repr([o for c in nb.cells for o in c.get("outputs", [])])
        found = re.search(r'src="(http://localhost:(\d+)/index\.html[^"]*)"', outputs)
        assert found, f"no trame view in the first cell's output: {outputs[:500]}"
        url = found.group(1).replace("&amp;", "&")
        requests, png = asyncio.run(_browse(url, 9300 + int(found.group(2)) % 500, tmp_path / "chromium"))
    assert "Gluteus medius, right" in outputs and "score 1/1" in outputs
    assert (work / "my_view.toml").is_file()
    host = re.match(r"http://localhost:\d+", url).group(0)  # type: ignore[union-attr]
    elsewhere = [r for r in requests if not r.startswith((host, "blob:" + host, "data:"))]
    assert len(requests) > 10 and not elsewhere, f"requests outside the kernel's server: {elsewhere}"
    from io import BytesIO

    from PIL import Image

    page = np.asarray(Image.open(BytesIO(png)).convert("RGB"))
    muscle = (page[..., 0] > 150) & (page[..., 1] < 120) & (page[..., 2] < 80)  # orange or red: the muscles drawn
    assert muscle.mean() > 0.01, "the trame view shows no model"
