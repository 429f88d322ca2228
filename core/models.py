"""Abstract models the apps build on (core names no app's model: apps sit above it, tests/test_layers.py)."""

from typing import Any, ClassVar

from django.db import models


class Unchangeable(models.Model):
    """A row never changed once made (an approved version, an audit record): saving it again is refused."""

    change_refused: ClassVar[str] = "This record cannot be changed"

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError(self.change_refused)
        super().save(*args, **kwargs)


class AppendOnly(Unchangeable):
    """The audit: rows are added and read, never changed or removed, here and by the app's database role
    (`db_append_only`, core.db_roles)."""

    db_append_only = True
    delete_refused: ClassVar[str] = "This record cannot be deleted"

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(self.delete_refused)
