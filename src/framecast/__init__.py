"""framecast: batches of still images in, Ken Burns clips out, only URLs back."""

from importlib import metadata


def version() -> str:
    """framecast's version, as installed ("0" when run from a tree that is not installed)."""
    try:
        return metadata.version("framecast")
    except metadata.PackageNotFoundError:
        return "0"
