"""Pretrained weights from the Hugging Face cache, without surprises.

Everything here goes through the real ``huggingface_hub`` code, so the usual
settings apply (``HF_HOME``, ``HF_HUB_CACHE``, ``HF_HUB_OFFLINE``). Nothing is
downloaded unless the caller asks for it with ``download=True``.
"""
from __future__ import annotations

from pathlib import Path


class WeightsNotAvailable(FileNotFoundError):
    """The pretrained weights are not in the local cache (and were not downloaded)."""


def snapshot(repo_id: str, *, allow_patterns: list[str] | None = None,
             download: bool = False) -> Path:
    """Local folder of ``repo_id`` from the Hugging Face cache.

    With ``download=False`` (the default) only the cache is used; a missing
    snapshot raises :class:`WeightsNotAvailable` saying how to fetch it.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id, allow_patterns=allow_patterns,
                                      local_files_only=not download))
    except LocalEntryNotFoundError as error:
        raise WeightsNotAvailable(
            f"The pretrained weights of {repo_id!r} are not in your Hugging Face cache. "
            f"On a machine with internet access run:\n"
            f"    python -c \"import huggingface_hub; huggingface_hub.snapshot_download('{repo_id}')\"\n"
            f"(or call this function with download=True). The cache folder is set by "
            f"HF_HUB_CACHE / HF_HOME."
        ) from error
