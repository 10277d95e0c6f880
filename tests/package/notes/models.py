from django.db import models


class Note(models.Model):
    """The one model of the package's test project: it lives on the primary and is read from the replica."""

    text = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.text
