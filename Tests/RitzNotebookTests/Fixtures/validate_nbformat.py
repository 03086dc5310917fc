"""Validate notebooks with the nbformat package: exit 0 when every file is valid nbformat 4.5."""
import sys

import nbformat

status = 0
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    try:
        nbformat.validate(nb, version=4, version_minor=5)
        if (nb.nbformat, nb.nbformat_minor) != (4, 5):
            raise ValueError(f"version {nb.nbformat}.{nb.nbformat_minor}")
        print(f"{path}: valid")
    except Exception as error:  # noqa: BLE001 - report every kind of failure
        print(f"{path}: INVALID: {error}")
        status = 1
sys.exit(status)
