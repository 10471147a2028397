from django.db import models


class PeriodicSlot(models.Model):
    """One row per periodic job and time slot: the unique key lets exactly one of the workers
    (on however many hosts) enqueue the job for that slot (api.jobs.schedule_periodic)."""

    job = models.CharField(max_length=64)
    slot = models.BigIntegerField(help_text="Seconds since the epoch // the job's interval.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="periodic_slot_unique_job_slot")
        ]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot}"
