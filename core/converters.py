"""The one path converter for a row's id in the app's URLs: `<id:pk>`.

Django's `<int:...>` takes any number of digits; a number past what the database holds (a bigint: 19 digits) made
SQLite raise OverflowError, a 500 where any other unknown id is 404 (a walk of `make run`). An id here is 1 to 18
digits: anything longer matches no URL, so it is the app's 404 on every database.
"""


class RowId:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
