"""Where dask runs the embedding's block tasks: its threads, a local cluster, SLURM jobs or a running scheduler."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def dask_scheduler(address: str | None, threads: int):
    """None for dask's threads; or a distributed Client: ``local`` starts a LocalCluster of ``threads``
    one-thread workers, ``slurm`` submits ``threads`` one-core workers as SLURM jobs (dask-jobqueue's
    SLURMCluster, in the default partition; set DASK_JOBQUEUE__SLURM__QUEUE / __ACCOUNT for others),
    and an address such as ``tcp://host:8786`` joins a running scheduler."""
    if address is None:
        yield None
        return
    from distributed import Client, LocalCluster

    if address == "slurm":
        from dask_jobqueue import SLURMCluster

        with SLURMCluster(cores=1, processes=1, memory="2GB", walltime="02:00:00", scheduler_options={
            "dashboard_address": None}) as cluster, Client(cluster) as client:  # fmt: skip
            cluster.scale(jobs=threads)
            client.wait_for_workers(threads, timeout=300)
            yield client
    elif address == "local":
        with (
            LocalCluster(n_workers=threads, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            yield client
    else:
        with Client(address) as client:
            yield client
