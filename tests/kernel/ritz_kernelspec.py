"""Installs the ritz kernelspec into a throwaway prefix and points Jupyter at it.

Import this before anything from jupyter_client: it sets JUPYTER_PATH so that the kernel
named "ritz" is the one `RITZ_BINARY` (default: the release build) writes with
`ritz kernel install --prefix`.
"""
import os
import subprocess
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RITZ = os.path.abspath(os.environ.get("RITZ_BINARY", os.path.join(ROOT, ".build", "release", "ritz")))
PREFIX = tempfile.mkdtemp(prefix="ritz-kernelspec-")

subprocess.run([RITZ, "kernel", "install", "--prefix", PREFIX], check=True, stdout=subprocess.DEVNULL)
os.environ["JUPYTER_PATH"] = os.path.join(PREFIX, "share", "jupyter")
# Keep the tests away from the user's own Jupyter runtime and data folders.
os.environ.setdefault("JUPYTER_RUNTIME_DIR", tempfile.mkdtemp(prefix="ritz-jupyter-runtime-"))
