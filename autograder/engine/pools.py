"""Choose where a batch grades: this machine's fork pool, or a Dask cluster.

A pool has three methods, ``start(hidden)``, ``grade(subs, out_dir)`` (each submission's
:class:`~.output.Graded` as it ends, its results.json written) and ``close()``; the batch
keeps the books for all of them.
"""
from __future__ import annotations

from .local_pool import LocalPool
from .options import Options


def make_pool(options: Options):
    """The pool ``options`` ask for: the cluster at ``options.scheduler``, else this machine."""
    if options.scheduler:
        from .cluster import ClusterPool   # Dask is an optional dependency: only imported here
        return ClusterPool(options)
    return LocalPool(options)
