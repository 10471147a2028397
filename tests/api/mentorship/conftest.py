import threading
from collections.abc import Callable

from django.db import connection


def run_in_threads(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at once in real threads (each with its own connection); their results."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
