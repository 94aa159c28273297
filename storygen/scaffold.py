"""`storygen init`: a new project from the skeleton in storygen/data/init/."""
from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from .errors import ProjectError


def create_project(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise ProjectError("the folder is not empty; storygen init will not overwrite anything",
                           path=directory, hint="choose a new folder name")
    skeleton = resources.files("storygen") / "data" / "init"
    with resources.as_file(skeleton) as source:
        shutil.copytree(source, directory, dirs_exist_ok=True)
    # Packaged as `gitignore` because some packaging tools drop dot-files.
    (directory / "gitignore").rename(directory / ".gitignore")
