"""Executes every sessions/*.ipynb with nbclient through the ritz kernel, then checks each
result with `ritz check`: a notebook the kernel filled must pass the same comparison as one
`ritz run` saved.

Run: `RITZ_BINARY=.build/release/ritz python tests/kernel/run_sessions.py` in a venv with
nbclient and nbformat. Exits 1 when a session fails to run or to check.
"""
import glob
import os
import subprocess
import sys
import tempfile

import ritz_kernelspec

import nbformat
from nbclient import NotebookClient


def main():
    sessions = sorted(glob.glob(os.path.join(ritz_kernelspec.ROOT, "sessions", "*.ipynb")))
    if not sessions:
        print("no sessions found")
        return 1
    out_dir = tempfile.mkdtemp(prefix="ritz-kernel-sessions-")
    passed = failed = 0
    for path in sessions:
        name = os.path.basename(path)
        notebook = nbformat.read(path, as_version=4)
        # Run from the session's folder, as `ritz run` and `ritz check` do.
        client = NotebookClient(notebook, kernel_name="ritz", timeout=600,
                                resources={"metadata": {"path": os.path.dirname(path)}})
        try:
            client.execute()
        except Exception as error:  # a cell failed: report it and go on to the next session
            print(f"== {name}: nbclient stopped: {error}")
            failed += 1
            continue
        executed = os.path.join(out_dir, name)
        nbformat.write(notebook, executed)
        print(f"== ritz check {name} (executed by the kernel)", flush=True)
        check = subprocess.run([ritz_kernelspec.RITZ, "check", executed], cwd=os.path.dirname(path))
        if check.returncode == 0:
            passed += 1
        else:
            failed += 1
    print(f"sessions: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
