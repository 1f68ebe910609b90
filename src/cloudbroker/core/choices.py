from django.db import models

__all__ = ["JobStatus", "OutboxStatus"]


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"

    @classmethod
    def finished(cls) -> frozenset[str]:
        return frozenset({cls.SUCCEEDED, cls.FAILED})

    @classmethod
    def unfinished(cls) -> frozenset[str]:
        """Waiting for a worker or being worked on."""
        return frozenset({cls.QUEUED, cls.RUNNING})


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
