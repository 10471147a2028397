"""Model rows written by a hand-built statement (a CTE that does several writes at once) exactly
as the ORM would write them: the same columns, each value through the field's ``pre_save``
(``auto_now``, ``auto_now_add``) and ``get_db_prep_save``, and the instance left as a saved one.
"""

from typing import Any

from django.db import connection, models


class RowInsert:
    """The INSERT of every column of ``model`` but its primary key: ``columns`` and
    ``placeholders`` for the SQL, ``values(obj)`` for the parameters, in the same order."""

    def __init__(self, model: type[models.Model]):
        self.table = model._meta.db_table
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.columns = ", ".join(f'"{f.column}"' for f in self.fields)
        self.placeholders = ", ".join(["%s"] * len(self.fields))

    def values(self, obj: models.Model) -> list[Any]:
        return db_values(obj, self.fields, adding=True)


def db_values(obj: models.Model, fields: list, *, adding: bool) -> list[Any]:
    """``fields``' values of ``obj`` as the ORM's INSERT (``adding``) or UPDATE sends them."""
    return [f.get_db_prep_save(f.pre_save(obj, adding), connection) for f in fields]


def saved_as(obj: models.Model, pk: int) -> None:
    """``obj`` as the ORM leaves an instance it has just inserted with this primary key."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias
