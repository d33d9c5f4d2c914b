"""What the workers do at every tick, whichever worker the tick's job lands
on (procrastinate defers one job a tick across all workers): queue the feeds
that are due, run again the jobs of dead workers, close the sync logs of
runs that are gone (``servicetitan.sync.abandoned``), refresh the queue's
gauges; and, hourly, purge finished jobs older than
``SERVICETITAN_JOBS_KEPT``, so the queue's tables stay small.

The ticks are registered when a worker starts (``register``), from its
settings: every worker must be given the same.
"""

from __future__ import annotations

from servicetitan.sync import abandoned
from servicetitan.worker import metrics, recovery, schedule
from servicetitan.worker.queue import QUEUE, app
from servicetitan.worker.settings import Settings

TICK_TASK = "servicetitan.tick"
PURGE_TASK = "servicetitan.purge_finished_jobs"


async def tick(timestamp: int) -> str:
    settings = Settings.from_environment()
    recovered = await recovery.recover_stalled_jobs(settings.stalled_after)
    # Logs of runs outside the queue (`piccolo servicetitan sync` in the
    # foreground, a load) killed without a word.
    closed = await abandoned.close_abandoned_runs()
    queued = await schedule.queue_due_feeds(settings)
    await metrics.refresh_queue_gauges()
    done = f"{recovered} stalled job(s) run again, {closed} abandoned sync log(s) closed"
    if queued is None:
        return f"another tick is queueing; {done}"
    return f"{queued} feed(s) queued, {done}"


async def purge_finished_jobs(timestamp: int) -> str:
    hours = Settings.from_environment().jobs_kept_hours
    await app.job_manager.delete_old_jobs(
        nb_hours=hours,
        queue=QUEUE,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )
    return f"finished jobs older than {hours} h purged"


def register(settings: Settings) -> None:
    """The periodic tasks, at the settings' tick (once per process)."""
    if TICK_TASK in app.tasks:
        return
    task = app.task(name=TICK_TASK, queue=QUEUE)(tick)
    # One tick waiting at most; ahead of the syncs waiting, so a worker whose
    # every slot is busy still schedules at its next free one. No run lock:
    # a tick that died with its worker would hold it, and the next ticks
    # (which recover stalled jobs) would wait for it for good. Two ticks at
    # once: one queues (schedule.SCHEDULE_LOCK), a job is retried once.
    app.periodic(
        cron=schedule.tick_cron(settings.tick),
        periodic_id="tick",
        queueing_lock=TICK_TASK,
        priority=100,
    )(task)
    purge = app.task(name=PURGE_TASK, queue=QUEUE)(purge_finished_jobs)
    app.periodic(cron="17 * * * *", periodic_id="purge", queueing_lock=PURGE_TASK)(purge)
